/**
 * Exact decimal sums for the CSV summary (lib/csv-summary.ts): a column's sum must not depend on the order
 * its values are added in, or a file summarised in parts (tasks/uploads.ts's fan-out) would sum to another
 * last digit than the whole file. Floating point is not associative; a bigint scaled by a power of ten is.
 */

/** A decimal as digits and a scale: `units / 10^scale` exactly. */
export interface Decimal {
  units: bigint;
  scale: number;
}

export const ZERO: Decimal = { units: 0n, scale: 0 };

/** How large an exponent a number may have (`1e100`); beyond it a cell is text, not a number. */
const MAX_EXPONENT = 100;
const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;

/** The decimal `text` spells ("12", "-0.5", ".5", "1.2e3"), or undefined when it is not a plain number. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = NUMBER.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = "", exponentText] = match;
  if (whole === "" && fraction === "") return undefined;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
  const digits = BigInt(`${whole}${fraction}` || "0") * (sign === "-" ? -1n : 1n);
  const scale = fraction.length - exponent;
  return scale >= 0 ? { units: digits, scale } : { units: digits * 10n ** BigInt(-scale), scale: 0 };
}

const scaled = (d: Decimal, scale: number) => (d.scale === scale ? d.units : d.units * 10n ** BigInt(scale - d.scale));

/** a + b, exactly (summing a column adds one cell at a time: no normalising here, formatDecimal does it once). */
export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: scaled(a, scale) + scaled(b, scale), scale };
}

/** Without trailing zeros after the point, so one value has one text ("4.50" + "0.50" is "5"). */
function normalize({ units, scale }: Decimal): Decimal {
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return { units, scale };
}

/** The decimal as text, without an exponent: "-12.05", "0.001", "1200". */
export function formatDecimal(decimal: Decimal): string {
  const { units, scale } = normalize(decimal);
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, "0");
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return units < 0n ? `-${text}` : text;
}
