/** Summaries of timing samples, and the plain-text tables the bench prints. */

export interface Summary {
  n: number;
  /** All in µs per call. */
  mean: number;
  p50: number;
  p99: number;
  min: number;
  max: number;
  /** Calls per second, from the mean. */
  perSecond: number;
}

/** The p-th percentile (0–100) of sorted values, nearest-rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Summarizes samples given in µs. */
export function summarize(samplesUs: readonly number[]): Summary {
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
  return {
    n: sorted.length,
    mean,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    perSecond: 1e6 / mean,
  };
}

/** Rounds for display and for the JSON line (1 decimal below 100, integers above). */
export function round(x: number): number {
  return Math.abs(x) < 100 ? Math.round(x * 10) / 10 : Math.round(x);
}

/** Formats rows as an aligned table: the first row is the header; numbers (and numeric strings, e.g. toFixed) are right-aligned. */
export function table(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === "number" ? round(c).toLocaleString("en-US") : c)));
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[], numeric: (i: number) => boolean) =>
    r.map((c, i) => (numeric(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  const isNum = (i: number) => rows.slice(1).every((r) => typeof r[i] === "number" || /^-?[\d.,]+$/.test(String(r[i])));
  const [head, ...body] = cells;
  return [line(head, isNum), widths.map((w) => "-".repeat(w)).join("  "), ...body.map((r) => line(r, isNum))].join("\n");
}
