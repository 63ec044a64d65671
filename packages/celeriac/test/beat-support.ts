/**
 * Shared pieces of the beat tests. Beat reads and syncs the whole PeriodicTask table, which has no key
 * prefix: two beats on one database (another test file's, with other settings) would send each other's rows
 * and delete each other's managed rows. So every beat test gets a database of its own, made and migrated
 * like the run's (databases.ts), on the run's kind (CELERIAC_TEST_DB).
 */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import { createTestDatabase, dbKind, type TestDatabase } from "./databases.js";

export function beatDatabase(label: string): Promise<TestDatabase> {
  return createTestDatabase(dbKind(), label);
}

/** A logger that keeps its JSON lines, so a test can see what beat logged. */
export function capturingLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

/** One send as beat reports it (onSend), with dates as epoch ms. */
export interface Sent {
  periodicTask: string;
  task: string;
  taskId: string;
  slotAt: number;
  sentAt: number;
  /** Which beat sent it (the process tests' fixtures tag their lines). */
  by?: string;
}

/** Slot differences of a list of sends, in order: [1000, 1000, …] for a 1 s interval that lost nothing. */
export function slotGaps(sends: readonly Sent[]): number[] {
  const slots = sends.map((s) => s.slotAt).sort((a, b) => a - b);
  return slots.slice(1).map((slot, i) => slot - slots[i]);
}

/** What slotGaps() is for sends one second apart: [1000, 1000, …]. */
export function ones(sends: readonly Sent[]): number[] {
  return sends.slice(1).map(() => 1000);
}
