import { describe, expect, it } from "vitest";
import { parseStaffArgs, runStaff } from "./staff";

function fakeDb(emails: string[]) {
  const staff = new Map(emails.map((e) => [e, false]));
  return {
    staff,
    user: {
      async updateMany({ where, data }: { where: { email: string }; data: { isStaff: boolean } }) {
        if (!staff.has(where.email)) return { count: 0 };
        staff.set(where.email, data.isStaff);
        return { count: 1 };
      },
    },
  };
}

const quiet = () => {
  const lines: string[] = [];
  return { lines, log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
};

describe("parseStaffArgs", () => {
  it("reads one email, lower-cased as sign-up stores it, and --revoke", () => {
    expect(parseStaffArgs(["Ada@Example.com"])).toEqual({ help: false, email: "ada@example.com", revoke: false });
    expect(parseStaffArgs(["ada@example.com", "--revoke"])).toEqual({ help: false, email: "ada@example.com", revoke: true });
    expect(parseStaffArgs(["-h"])).toEqual({ help: true });
  });

  it("refuses no email, two, a non-email, unknown options", () => {
    expect(() => parseStaffArgs([])).toThrow(/which user/);
    expect(() => parseStaffArgs(["a@x.io", "b@x.io"])).toThrow(/one email/);
    expect(() => parseStaffArgs(["ada"])).toThrow(/not an email/);
    expect(() => parseStaffArgs(["a@x.io", "--force"])).toThrow();
  });
});

describe("runStaff", () => {
  it("marks an existing user staff, and takes it back", async () => {
    const db = fakeDb(["ada@example.com"]);
    const out = quiet();
    expect(await runStaff(["ada@example.com"], db, out)).toBe(0);
    expect(db.staff.get("ada@example.com")).toBe(true);
    expect(out.lines.at(-1)).toMatch(/is now staff/);
    expect(await runStaff(["ada@example.com", "--revoke"], db, out)).toBe(0);
    expect(db.staff.get("ada@example.com")).toBe(false);
  });

  it("checks the database before the write (its refusal is thrown, nothing written), not for help or bad usage", async () => {
    const db = fakeDb(["ada@example.com"]);
    const refused = async () => {
      throw new Error("not migrated");
    };
    await expect(runStaff(["ada@example.com"], db, quiet(), refused)).rejects.toThrow("not migrated");
    expect(db.staff.get("ada@example.com")).toBe(false);
    expect(await runStaff(["--help"], db, quiet(), refused)).toBe(0);
    expect(await runStaff([], db, quiet(), refused)).toBe(2);
  });

  it("exits 1 for an unknown user and 2 for bad usage", async () => {
    const out = quiet();
    expect(await runStaff(["nobody@example.com"], fakeDb([]), out)).toBe(1);
    expect(out.lines.at(-1)).toMatch(/no user with email nobody@example.com/);
    expect(await runStaff([], fakeDb([]), out)).toBe(2);
    expect(out.lines.at(-1)).toMatch(/usage: npm run celeriac -- staff/);
  });
});
