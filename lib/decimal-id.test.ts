import { describe, expect, it } from "vitest";
import { MAX_PRISMA_INT } from "celeriac";
import { parseDecimalId } from "./decimal-id";

describe("parseDecimalId", () => {
  it("reads canonical positive decimals up to a database Int", () => {
    expect(parseDecimalId("1")).toBe(1);
    expect(parseDecimalId("42")).toBe(42);
    expect(parseDecimalId(String(MAX_PRISMA_INT))).toBe(MAX_PRISMA_INT);
    expect(parseDecimalId(String(MAX_PRISMA_INT + 1))).toBeUndefined();
  });

  it("reads larger numbers when given a larger bound (a timestamp)", () => {
    expect(parseDecimalId("1767225600000", Number.MAX_SAFE_INTEGER)).toBe(1767225600000);
    expect(parseDecimalId(String(Number.MAX_SAFE_INTEGER + 1), Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });

  it.each(["", "0", "07", "+7", "-7", "7.0", "7e0", "1e3", " 7", "7 ", "0x7", "٧", "99999999999999999"])("refuses %j", (text) => {
    expect(parseDecimalId(text, Number.MAX_SAFE_INTEGER)).toBeUndefined();
  });
});
