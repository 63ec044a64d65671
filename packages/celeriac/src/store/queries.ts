/**
 * The dashboard's facets of the task store (store.ts: ResultQueries, AuditRows), once for both databases:
 * each implementation gives its dialect (how the statements of query-statements.ts are spelled and their
 * rows read), a way to run a statement on its connection, and its runtime percentiles (PostgreSQL in SQL,
 * SQLite here, over the bounded sample).
 */
import type { FacetColumn, OutcomeCounts, RetriableTask } from "../results/task-list.js";
import type { OutboxRow } from "../transaction/outbox-row.js";
import * as statements from "./query-statements.js";
import type { Dialect, Readers, Statement } from "./query-statements.js";
import type { AuditRecord, AuditRows, ListedTask, ListPosition, MinuteOutcome, ResultQueries, RuntimePercentiles, TaskRange } from "./store.js";

export interface QueryPort {
  dialect: Dialect;
  read: Readers & {
    /** A minute as Dialect.minuteOf reads it back. */
    minute(value: unknown): Date;
    outboxRow(row: Record<string, unknown>): OutboxRow;
  };
  /** Runs one statement on the store's connection: its rows (RETURNING's, for a write). */
  all(statement: Statement): Promise<Record<string, unknown>[]>;
  /** Percentiles per name over runtimeSample()'s rows. */
  percentiles(sample: Statement): Promise<RuntimePercentiles[]>;
}

/** The p-th quantile of sorted values, interpolated between the two nearest ranks (PostgreSQL's percentile_cont). */
function percentileCont(sorted: readonly number[], p: number): number {
  const rank = p * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (rank - below);
}

/** Percentiles per name of rows ("name", "runtimeMs"), computed here: for a database without percentile_cont. */
export function percentilesOf(rows: readonly Record<string, unknown>[]): RuntimePercentiles[] {
  const byName = new Map<string, number[]>();
  for (const r of rows) {
    const name = String(r.name);
    const runtimes = byName.get(name) ?? [];
    if (runtimes.length === 0) byName.set(name, runtimes);
    runtimes.push(Number(r.runtimeMs));
  }
  return [...byName]
    .map(([name, runtimes]) => {
      const sorted = runtimes.sort((a, b) => a - b);
      return { name, count: sorted.length, p50Ms: percentileCont(sorted, 0.5), p95Ms: percentileCont(sorted, 0.95) };
    })
    .sort((a, b) => b.p95Ms - a.p95Ms || (a.name < b.name ? -1 : 1));
}

export class StoreQueries implements ResultQueries, AuditRows {
  private readonly audit;

  constructor(private readonly port: QueryPort) {
    this.audit = statements.auditStatements(port.dialect);
  }

  async listTasks(range: TaskRange, limit: number): Promise<ListedTask[]> {
    const rows = await this.port.all(statements.listStatement(this.port.dialect, range, limit));
    return rows.map((r) => statements.listedTask(r, this.port.read));
  }

  async positionAt(range: TaskRange, n: number): Promise<ListPosition | null> {
    const [r] = await this.port.all(statements.positionStatement(this.port.dialect, range, n));
    return r ? { createdAt: this.port.read.instant(r.createdAt)!, id: String(r.id) } : null;
  }

  async countTasks(range: TaskRange, cap: number): Promise<number> {
    const [r] = await this.port.all(statements.countStatement(this.port.dialect, range, cap));
    return Number(r!.n);
  }

  async taskDetail(id: string) {
    const { row, outbox, retriedTo } = statements.detailStatements(this.port.dialect, id);
    const [[r], [o], linked] = await Promise.all([this.port.all(row), this.port.all(outbox), this.port.all(retriedTo)]);
    const { read } = this.port;
    return {
      row: r ? { ...statements.listedTask(r, read), result: read.json(r.result), errorStack: r.errorStack === null ? null : String(r.errorStack) } : null,
      outbox: o ? read.outboxRow(o) : null,
      retriedTo: linked.map((l) => String(l.id)),
    };
  }

  async workflow(rootId: string, taskId: string, limit: number) {
    const { dialect, read } = this.port;
    const rowsWhere = async (column: "rootId" | "id", value: string, n: number) =>
      (await this.port.all(statements.workflowRowsStatement(dialect, column, value, n))).map((r) => statements.workflowRow(r, read));
    const found = await rowsWhere("rootId", rootId, limit + 1);
    const rows = found.slice(0, limit);
    if (!rows.some((r) => r.id === taskId)) rows.push(...(await rowsWhere("id", taskId, 1)));
    const ids = [...new Set([rootId, ...rows.flatMap((r) => (r.groupId === null ? [] : [r.groupId]))])];
    const groups = (await this.port.all(statements.workflowGroupsStatement(dialect, ids))).map((r) => statements.workflowGroup(r, read));
    return { rows, truncated: found.length > limit, groups };
  }

  async distinctValues(column: FacetColumn, max: number): Promise<string[]> {
    return (await this.port.all(statements.distinctStatement(this.port.dialect, column, max))).map((r) => String(r.value));
  }

  async linkRetry(row: RetriableTask, originalId: string, at: Date): Promise<void> {
    await this.port.all(statements.linkRetryStatement(this.port.dialect, row, originalId, at));
  }

  async outcomeCounts(since: Date): Promise<OutcomeCounts> {
    const [r] = await this.port.all(statements.outcomeStatement(this.port.dialect, since));
    return { succeeded: Number(r!.succeeded), failed: Number(r!.failed), retried: Number(r!.retried), revoked: Number(r!.revoked) };
  }

  async outcomesPerMinute(since: Date, until: Date): Promise<MinuteOutcome[]> {
    const rows = await this.port.all(statements.perMinuteStatement(this.port.dialect, since, until));
    return rows.map((r) => statements.minuteOutcome(r, this.port.read.minute(r.minute)));
  }

  runtimePercentiles(since: Date, sample: number): Promise<RuntimePercentiles[]> {
    return this.port.percentiles(statements.runtimeSample(this.port.dialect, since, sample));
  }

  async insertAudit(entry: Omit<AuditRecord, "id"> & { requestKey: string | null }): Promise<AuditRecord | null> {
    const [r] = await this.port.all(this.audit.insert(entry));
    return r ? statements.auditRecord(r, this.port.read) : null;
  }

  async auditByRequestKey(requestKey: string): Promise<AuditRecord | null> {
    const [r] = await this.port.all(this.audit.byRequestKey(requestKey));
    return r ? statements.auditRecord(r, this.port.read) : null;
  }

  async updateAuditDetail(id: number, detail: unknown): Promise<void> {
    await this.port.all(this.audit.update(id, detail));
  }

  async auditEntries(before: number | undefined, limit: number): Promise<AuditRecord[]> {
    return (await this.port.all(this.audit.page(before, limit))).map((r) => statements.auditRecord(r, this.port.read));
  }
}
