import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { shippedMigrations } from "./migrations";

describe("shippedMigrations", () => {
  it("finds the provider's migrations beside the code, oldest first", () => {
    for (const url of ["file:./dev.db", "postgresql://u@h/db"]) {
      const names = shippedMigrations(url)!;
      expect(names.length, url).toBeGreaterThanOrEqual(4);
      expect(names[0], url).toBe("20261121000000_task_results");
      expect([...names].sort(), url).toEqual(names);
    }
  });

  it("is undefined where no prisma/<provider>/migrations folder is above the module (not deployed beside the code)", () => {
    const dir = mkdtempSync(join(tmpdir(), "celeriac-no-migrations-"));
    try {
      expect(shippedMigrations("file:./dev.db", join(dir, "dist", "worker.js"))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
