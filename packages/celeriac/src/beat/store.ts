/**
 * The PeriodicTask table (django-celery-beat's models and DatabaseScheduler store): rows to schedules and
 * back, the admin's writes, the sync of settings.beatSchedule into managed rows, and the claim that lets
 * exactly one beat send each slot.
 *
 * Managed rows. A settings entry becomes a row with `managed` true and a digest of the entry. At each
 * sync (when a beat takes the lead) a managed row whose entry changed is rewritten and one whose entry is
 * gone is deleted; `enabled`, `lastRunAt`, `lastTaskId` and `totalRunCount` are never touched, so
 * disabling a managed row in the admin survives deploys. Editing a managed row's definition (task,
 * arguments, schedule, options) in the admin detaches it (`managed` false): from then on a deploy never overwrites it and beat
 * logs a warning while settings and row differ. `returnToSettings()` hands it back.
 *
 * The framework never imports the generated client: it needs only these delegates, typed by the shape it
 * uses (as transaction/outbox.ts types the one method its insert uses).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { BeatEntry } from "../config.js";
import { DEFAULT_MAX_PAYLOAD_BYTES, queueNameSchema } from "../config.js";
import { CorruptRowError, InvalidPeriodicTaskError, NotFoundError, NotJsonError } from "../errors.js";
import { assertJsonArgs } from "../json.js";
import { MAX_PRIORITY } from "../task/define.js";
import { safeText } from "../safe-text.js";
import type { Logger } from "../log.js";
import { MAX_PRISMA_INT } from "../prisma-int.js";
import { columnsOf } from "../results/schema-check.js";
import { clocked, cron, crontab, every, toSchedule, type CatchUp, type Schedule } from "./schedule.js";
import { PERIOD_MS, PERIODS, type Period } from "./kinds.js";

const instant = z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);
const crontabField = safeText().trim().min(1).max(200).default("*");
const zoneField = safeText().trim().min(1).nullish().transform((zone) => zone ?? null);

/** A schedule as the admin writes it and the tables store it. */
export const scheduleSpecSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("interval"), every: z.number().int().positive().max(MAX_PRISMA_INT), period: z.enum(PERIODS) }).strict(),
  z
    .object({
      kind: z.literal("crontab"),
      minute: crontabField,
      hour: crontabField,
      dayOfWeek: crontabField,
      dayOfMonth: crontabField,
      monthOfYear: crontabField,
      timezone: zoneField,
    })
    .strict(),
  z.object({ kind: z.literal("cron"), expression: safeText().trim().min(1).max(200), timezone: zoneField }).strict(),
  z.object({ kind: z.literal("clocked"), at: instant }).strict(),
]);
export type ScheduleSpec = z.output<typeof scheduleSpecSchema>;

/** A periodic task as the admin API accepts it (dates as Date or ISO strings). */
export const periodicTaskInputSchema = z
  .object({
    name: safeText().trim().min(1).max(200),
    task: safeText().trim().min(1).max(200),
    args: z.array(z.unknown()).default([]),
    queue: queueNameSchema.nullish().transform((v) => v ?? null),
    priority: z.number().int().min(1).max(MAX_PRIORITY).nullish().transform((v) => v ?? null),
    expireSeconds: z.number().int().positive().max(MAX_PRISMA_INT).nullish().transform((v) => v ?? null),
    schedule: scheduleSpecSchema,
    enabled: z.boolean().default(true),
    oneOff: z.boolean().default(false),
    startTime: instant.nullish().transform((v) => v ?? null),
    expires: instant.nullish().transform((v) => v ?? null),
    catchUp: z.enum(["none", "one"]).default("one"),
    description: safeText().max(2000).default(""),
  })
  .strict();
export type PeriodicTaskInput = z.input<typeof periodicTaskInputSchema>;
type Definition = z.output<typeof periodicTaskInputSchema>;

/** A row with its schedule, as beat and the admin read it. */
export interface PeriodicTaskView extends Omit<Definition, "catchUp"> {
  id: number;
  catchUp: CatchUp;
  lastRunAt: Date | null;
  /** The task the last run sent (its TaskResult row is the last run's outcome); null before the first. */
  lastTaskId: string | null;
  totalRunCount: number;
  managed: boolean;
  /** A row that came from settings and was edited in the admin since (never overwritten by a deploy). */
  detached: boolean;
  createdAt: Date;
  updatedAt: Date;
}

type IntervalRow = { id: number; every: number; period: string };
type CrontabRow = { id: number; minute: string; hour: string; dayOfWeek: string; dayOfMonth: string; monthOfYear: string; cron: string | null; timezone: string | null };
type ClockedRow = { id: number; clockedTime: Date };
interface TaskRow {
  id: number;
  name: string;
  task: string;
  args: unknown;
  queue: string | null;
  priority: number | null;
  expireSeconds: number | null;
  intervalId: number | null;
  crontabId: number | null;
  clockedId: number | null;
  enabled: boolean;
  oneOff: boolean;
  startTime: Date | null;
  expires: Date | null;
  catchUp: string;
  lastRunAt: Date | null;
  lastTaskId: string | null;
  totalRunCount: number;
  description: string;
  managed: boolean;
  settingsDigest: string | null;
  createdAt: Date;
  updatedAt: Date;
}
/** The tables this store reads and writes, with every column (for the schema check at start). */
export const PERIODIC_TASK_TABLES = {
  PeriodicTask: columnsOf<TaskRow>()([
    "id", "name", "task", "args", "queue", "priority", "expireSeconds", "intervalId", "crontabId", "clockedId", "enabled", "oneOff",
    "startTime", "expires", "catchUp", "lastRunAt", "lastTaskId", "totalRunCount", "description", "managed", "settingsDigest", "createdAt", "updatedAt",
  ]),
  IntervalSchedule: columnsOf<IntervalRow>()(["id", "every", "period"]),
  CrontabSchedule: columnsOf<CrontabRow>()(["id", "minute", "hour", "dayOfWeek", "dayOfMonth", "monthOfYear", "cron", "timezone"]),
  ClockedSchedule: columnsOf<ClockedRow>()(["id", "clockedTime"]),
};

type Row = TaskRow & { interval: IntervalRow | null; crontab: CrontabRow | null; clocked: ClockedRow | null };
const include = { interval: true, crontab: true, clocked: true } as const;
type Include = typeof include;

type ScheduleLinks = Pick<TaskRow, "intervalId" | "crontabId" | "clockedId">;
type TaskData = Omit<TaskRow, "id" | "args" | "lastRunAt" | "lastTaskId" | "totalRunCount" | "createdAt" | "updatedAt"> & { args: never };

/** The part of a Prisma client this store uses; any client generated from prisma/models fits it. */
export interface PeriodicTaskClient {
  periodicTask: {
    findMany(args: { where?: { enabled?: boolean }; include: Include; orderBy: { name: "asc" } }): Promise<Row[]>;
    findUnique(args: { where: { id: number } | { name: string }; include: Include }): Promise<Row | null>;
    create(args: { data: TaskData }): Promise<{ id: number }>;
    update(args: { where: { id: number }; data: Partial<TaskData> }): Promise<unknown>;
    updateMany(args: {
      where: { id: number; enabled: true; OR: ({ lastRunAt: null } | { lastRunAt: { lt: Date } })[] };
      data: { lastRunAt: Date; lastTaskId: string; totalRunCount: { increment: number }; enabled?: boolean };
    }): Promise<{ count: number }>;
    delete(args: { where: { id: number } }): Promise<unknown>;
  };
  intervalSchedule: { create(args: { data: Omit<IntervalRow, "id"> }): Promise<{ id: number }>; deleteMany(args: { where: { id: { in: number[] } } }): Promise<unknown> };
  crontabSchedule: { create(args: { data: Omit<CrontabRow, "id"> }): Promise<{ id: number }>; deleteMany(args: { where: { id: { in: number[] } } }): Promise<unknown> };
  clockedSchedule: { create(args: { data: Omit<ClockedRow, "id"> }): Promise<{ id: number }>; deleteMany(args: { where: { id: { in: number[] } } }): Promise<unknown> };
}

/** The schedule a spec describes; an InvalidScheduleError names the field that is wrong. */
export function scheduleFromSpec(spec: ScheduleSpec): Schedule {
  const timezone = "timezone" in spec && spec.timezone !== null ? { timezone: spec.timezone } : {};
  switch (spec.kind) {
    case "interval":
      return every((spec.every * PERIOD_MS[spec.period]) / 1000);
    case "crontab": {
      const { kind: _, timezone: __, ...fields } = spec;
      return crontab({ ...fields, ...timezone });
    }
    case "cron":
      return cron(spec.expression, timezone);
    case "clocked":
      return clocked(spec.at);
  }
}

/** The spec that stores a schedule made in code (settings.beatSchedule). */
export function specFromSchedule(schedule: Schedule): ScheduleSpec {
  if (schedule.kind === "clocked") return { kind: "clocked", at: new Date(schedule.atMs) };
  if (schedule.kind === "interval") {
    const [period, size] = Object.entries(PERIOD_MS).find(([, ms]) => schedule.everyMs % ms === 0) as [Period, number];
    return { kind: "interval", every: schedule.everyMs / size, period };
  }
  const timezone = schedule.timezone ?? null;
  if (schedule.fields === undefined) return { kind: "cron", expression: schedule.expression, timezone };
  return { kind: "crontab", ...schedule.fields, timezone };
}

function specOf(row: Row): ScheduleSpec {
  if (row.interval) return { kind: "interval", every: row.interval.every, period: row.interval.period as Period };
  if (row.clocked) return { kind: "clocked", at: row.clocked.clockedTime };
  if (row.crontab) {
    const { cron: expression, timezone, minute, hour, dayOfWeek, dayOfMonth, monthOfYear } = row.crontab;
    return expression !== null ? { kind: "cron", expression, timezone } : { kind: "crontab", minute, hour, dayOfWeek, dayOfMonth, monthOfYear, timezone };
  }
  throw new CorruptRowError("PeriodicTask", row.id, ["intervalId", "crontabId", "clockedId"], `periodic task '${row.name}' has no schedule: set one of intervalId, crontabId, clockedId`);
}

function viewOf(row: Row): PeriodicTaskView {
  return {
    id: row.id,
    name: row.name,
    task: row.task,
    args: Array.isArray(row.args) ? row.args : [],
    queue: row.queue,
    priority: row.priority,
    expireSeconds: row.expireSeconds,
    schedule: specOf(row),
    enabled: row.enabled,
    oneOff: row.oneOff,
    startTime: row.startTime,
    expires: row.expires,
    catchUp: row.catchUp === "none" ? "none" : "one",
    description: row.description,
    lastRunAt: row.lastRunAt,
    lastTaskId: row.lastTaskId,
    totalRunCount: row.totalRunCount,
    managed: row.managed,
    detached: !row.managed && row.settingsDigest !== null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * Parses and checks a definition: an InvalidPeriodicTaskError lists the fields of the wrong shape (and
 * arguments that are not JSON, as field "args"); a schedule that cannot run is an InvalidScheduleError.
 */
export function parseDefinition(input: PeriodicTaskInput, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): Definition {
  const parsed = periodicTaskInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidPeriodicTaskError(parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })));
  }
  scheduleFromSpec(parsed.data.schedule);
  try {
    assertJsonArgs(parsed.data.args, maxPayloadBytes);
  } catch (error) {
    if (!(error instanceof NotJsonError)) throw error;
    throw new InvalidPeriodicTaskError([{ field: "args", message: error.message }], error.message, { cause: error });
  }
  return parsed.data;
}

/** The definition a settings entry stands for. */
export function definitionFromEntry(name: string, entry: BeatEntry, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): Definition {
  return parseDefinition({
    name,
    task: entry.task,
    args: entry.args,
    queue: entry.options.queue,
    priority: entry.options.priority,
    expireSeconds: entry.options.expires,
    schedule: specFromSchedule(toSchedule(entry.schedule)),
    oneOff: entry.oneOff,
    catchUp: entry.catchUp,
    description: entry.description,
  }, maxPayloadBytes);
}

/** A value as comparable text: object keys sorted, dates as ISO strings. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** What a definition is, hashed (a managed row keeps the digest of the entry it was written from). */
function digestOf(definition: Definition): string {
  const { enabled: _, ...rest } = definition;
  return createHash("sha256").update(canonical(rest)).digest("base64url").slice(0, 22);
}

const DEFINITION_KEYS = ["name", "task", "args", "queue", "priority", "expireSeconds", "schedule", "oneOff", "startTime", "expires", "catchUp"] as const;

/** True when a row's definition is not the given one (what counts as an edit: not enabled, not description). */
function definitionDiffers(view: PeriodicTaskView, definition: Definition): boolean {
  return DEFINITION_KEYS.some((key) => canonical(view[key]) !== canonical(definition[key]));
}

export interface SyncReport {
  created: string[];
  updated: string[];
  removed: string[];
  /** Settings entries whose rows were edited in the admin: kept as the admin left them. */
  kept: string[];
}

export class PeriodicTaskStore {
  /** `maxPayloadBytes`: the app's settings.maxPayloadBytes, the largest arguments a row may hold. */
  constructor(
    private readonly prisma: PeriodicTaskClient,
    private readonly maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
  ) {}

  /** Every periodic task, by name. */
  async list(): Promise<PeriodicTaskView[]> {
    return (await this.prisma.periodicTask.findMany({ include, orderBy: { name: "asc" } })).map(viewOf);
  }

  /** The enabled ones, as beat reads them on every loop. */
  async enabled(): Promise<PeriodicTaskView[]> {
    return (await this.prisma.periodicTask.findMany({ where: { enabled: true }, include, orderBy: { name: "asc" } })).map(viewOf);
  }

  async get(id: number): Promise<PeriodicTaskView | null> {
    const row = await this.prisma.periodicTask.findUnique({ where: { id }, include });
    return row && viewOf(row);
  }

  /** Creates a row owned by the admin (never touched by a deploy). */
  async create(input: PeriodicTaskInput): Promise<PeriodicTaskView> {
    const definition = parseDefinition(input, this.maxPayloadBytes);
    const { id } = await this.prisma.periodicTask.create({
      data: { ...this.columns(definition), ...(await this.createSchedule(definition.schedule)), managed: false, settingsDigest: null },
    });
    return (await this.get(id))!;
  }

  /**
   * Replaces a row's definition (the admin's edit form). A managed row whose definition changes is
   * detached from settings; changing only `enabled` or `description` leaves it managed.
   */
  async update(id: number, input: PeriodicTaskInput): Promise<PeriodicTaskView> {
    const definition = parseDefinition(input, this.maxPayloadBytes);
    const row = await this.require(id);
    const changed = definitionDiffers(viewOf(row), definition);
    await this.rewrite(row, { ...this.columns(definition), ...(changed ? { managed: false } : {}) }, definition.schedule);
    return (await this.get(id))!;
  }

  async setEnabled(id: number, enabled: boolean): Promise<void> {
    await this.require(id);
    await this.prisma.periodicTask.update({ where: { id }, data: { enabled } });
  }

  async remove(id: number): Promise<void> {
    await this.delete(await this.require(id));
  }

  /** Hands a detached row back to settings: the next sync rewrites it from its settings entry. */
  async returnToSettings(id: number): Promise<void> {
    await this.require(id);
    await this.prisma.periodicTask.update({ where: { id }, data: { managed: true, settingsDigest: null } });
  }

  /** Makes the managed rows match the settings entries (see the module comment). */
  async syncSettings(definitions: readonly Definition[], log: Logger): Promise<SyncReport> {
    const report: SyncReport = { created: [], updated: [], removed: [], kept: [] };
    const rows = await this.prisma.periodicTask.findMany({ include, orderBy: { name: "asc" } });
    const byName = new Map(rows.map((row) => [row.name, row]));
    for (const definition of definitions) {
      const digest = digestOf(definition);
      const row = byName.get(definition.name);
      if (!row) {
        await this.prisma.periodicTask.create({
          data: { ...this.columns(definition), ...(await this.createSchedule(definition.schedule)), managed: true, settingsDigest: digest },
        });
        report.created.push(definition.name);
      } else if (row.managed && row.settingsDigest !== digest) {
        const { enabled: _, ...columns } = this.columns(definition);
        await this.rewrite(row, { ...columns, settingsDigest: digest }, definition.schedule);
        report.updated.push(definition.name);
      } else if (!row.managed && (row.settingsDigest !== digest || definitionDiffers(viewOf(row), definition))) {
        // Also when the entry did not change since the admin's edit: the row still differs from settings.
        report.kept.push(definition.name);
        log.warn(
          { periodicTask: definition.name },
          "settings.beatSchedule and the periodic task edited in the admin differ: keeping the admin's version (return it to settings in the admin to apply the settings)",
        );
      }
    }
    const names = new Set(definitions.map((d) => d.name));
    for (const row of rows) {
      if (row.managed && !names.has(row.name)) {
        await this.delete(row);
        report.removed.push(row.name);
      }
    }
    return report;
  }

  /**
   * Records that the slot `slotAt` of row `id` is being sent as task `taskId`, through `tx` (the transaction
   * that also writes the task's outbox row). Succeeds only while the row is enabled and its lastRunAt is
   * before the slot, so of two beats, or a beat that lost its lease while paused, only one sends a slot:
   * this compare-and-set on lastRunAt is the fencing.
   */
  static async claim(tx: PeriodicTaskClient, id: number, slotAt: Date, oneOff: boolean, taskId: string): Promise<boolean> {
    const { count } = await tx.periodicTask.updateMany({
      where: { id, enabled: true, OR: [{ lastRunAt: null }, { lastRunAt: { lt: slotAt } }] },
      data: { lastRunAt: slotAt, lastTaskId: taskId, totalRunCount: { increment: 1 }, ...(oneOff ? { enabled: false } : {}) },
    });
    return count === 1;
  }

  /**
   * PostgreSQL only: has the server end this transaction, and its session, once it sits idle for longer
   * than `ms` (SET LOCAL: this transaction only, so a pooler in transaction mode hands no setting on).
   */
  static async limitIdle(tx: { $executeRawUnsafe(sql: string): Promise<number> }, ms: number): Promise<void> {
    await tx.$executeRawUnsafe(`SET LOCAL idle_in_transaction_session_timeout = ${Math.ceil(ms)}`);
  }

  private async require(id: number): Promise<Row> {
    const row = await this.prisma.periodicTask.findUnique({ where: { id }, include });
    if (!row) throw new NotFoundError("periodic task", id);
    return row;
  }

  private columns(definition: Definition) {
    const { schedule: _, args, ...rest } = definition;
    return { ...rest, args: args as never };
  }

  private async createSchedule(spec: ScheduleSpec): Promise<ScheduleLinks> {
    const links: ScheduleLinks = { intervalId: null, crontabId: null, clockedId: null };
    if (spec.kind === "interval") links.intervalId = (await this.prisma.intervalSchedule.create({ data: { every: spec.every, period: spec.period } })).id;
    else if (spec.kind === "clocked") links.clockedId = (await this.prisma.clockedSchedule.create({ data: { clockedTime: spec.at } })).id;
    else {
      const fields =
        spec.kind === "cron"
          ? { minute: "*", hour: "*", dayOfWeek: "*", dayOfMonth: "*", monthOfYear: "*", cron: spec.expression }
          : { minute: spec.minute, hour: spec.hour, dayOfWeek: spec.dayOfWeek, dayOfMonth: spec.dayOfMonth, monthOfYear: spec.monthOfYear, cron: null };
      links.crontabId = (await this.prisma.crontabSchedule.create({ data: { ...fields, timezone: spec.timezone } })).id;
    }
    return links;
  }

  /** Writes `data` over a row, and its schedule when it changed (each task has its own schedule row). */
  private async rewrite(row: Row, data: Partial<TaskData>, spec: ScheduleSpec): Promise<void> {
    const schedule = canonical(viewOf(row).schedule) === canonical(spec) ? undefined : await this.createSchedule(spec);
    await this.prisma.periodicTask.update({ where: { id: row.id }, data: { ...data, ...schedule } });
    if (schedule) await this.dropSchedules(row);
  }

  private async delete(row: Row): Promise<void> {
    await this.prisma.periodicTask.delete({ where: { id: row.id } });
    await this.dropSchedules(row);
  }

  /** Deletes the schedule row `row` pointed at (after the task was repointed or deleted). */
  private async dropSchedules(row: Row): Promise<void> {
    const only = (id: number) => ({ where: { id: { in: [id] } } });
    if (row.intervalId !== null) await this.prisma.intervalSchedule.deleteMany(only(row.intervalId));
    if (row.crontabId !== null) await this.prisma.crontabSchedule.deleteMany(only(row.crontabId));
    if (row.clockedId !== null) await this.prisma.clockedSchedule.deleteMany(only(row.clockedId));
  }
}
