/** The inspect, purge and control CLI without Redis: argument parsing, exit codes and the human output, over a stub broker. */
import { describe, expect, it } from "vitest";
import type { Broker } from "../broker/broker.js";
import type { QueueCounts, WorkerHeartbeat } from "../broker/inspection.js";
import { ConfigError } from "../errors.js";
import { EXIT, INSPECT_USAGE, parseInspectArgs, runInspectCli, type InspectApp } from "./cli.js";
import { duration, table } from "./render.js";

describe("parseInspectArgs", () => {
  it("reads the inspect commands and --json", () => {
    expect(parseInspectArgs(["inspect", "active"])).toEqual({ command: "inspect", what: "active", json: false });
    expect(parseInspectArgs(["inspect", "stats", "--json"])).toEqual({ command: "inspect", what: "stats", json: true });
    expect(parseInspectArgs(["--json", "inspect", "registered"])).toEqual({ command: "inspect", what: "registered", json: true });
    expect(parseInspectArgs(["inspect", "scheduled"])).toMatchObject({ what: "scheduled" });
  });
  it("reads purge with -Q/--queues and --force", () => {
    expect(parseInspectArgs(["purge", "-Q", "a,b, a"])).toEqual({ command: "purge", queues: ["a", "b"], force: false, json: false });
    expect(parseInspectArgs(["purge", "--queues=heavy", "--force"])).toEqual({ command: "purge", queues: ["heavy"], force: true, json: false });
    expect(parseInspectArgs(["purge", "-f"])).toEqual({ command: "purge", queues: undefined, force: true, json: false });
  });
  it("reads control shutdown <worker>, pause <queue> and resume <queue>", () => {
    expect(parseInspectArgs(["control", "shutdown", "celeriac@h"])).toEqual({ command: "control", action: "shutdown", target: "celeriac@h", json: false });
    expect(parseInspectArgs(["control", "pause", "emails", "--json"])).toEqual({ command: "control", action: "pause", target: "emails", json: true });
    expect(parseInspectArgs(["control", "resume", "emails"])).toMatchObject({ action: "resume", target: "emails" });
  });
  it("--help wins over anything else", () => {
    expect(parseInspectArgs(["--help"])).toEqual({ command: "help" });
    expect(parseInspectArgs(["inspect", "bogus", "-h"])).toEqual({ command: "help" });
  });
  it.each([
    [[], /missing command/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["inspect"], /inspect what\? active, scheduled, registered, stats or beat/],
    [["inspect", "revoked"], /unknown inspect command 'revoked'/],
    [["inspect", "active", "extra"], /unexpected argument 'extra'/],
    [["inspect", "active", "--force"], /go with purge only/],
    [["inspect", "stats", "-Q", "a"], /go with purge only/],
    [["purge", "default"], /name queues with -Q a,b/],
    [["purge", "-Q", "a b"], /invalid queue name 'a b'/],
    [["purge", "-Q", ","], /invalid queue name/],
    [["inspect", "active", "--bogus"], /Unknown option '--bogus'/],
    [["control"], /control what\? shutdown <worker>, pause <queue> or resume <queue>/],
    [["control", "restart", "w"], /unknown control command 'restart'/],
    [["control", "shutdown"], /control shutdown needs a worker \(its id or hostname\)/],
    [["control", "pause"], /control pause needs a queue/],
    [["control", "pause", "a", "b"], /unexpected argument 'b' \(control pause takes one queue\)/],
    [["control", "resume", "a b"], /invalid queue name 'a b'/],
    [["control", "pause", "a", "--force"], /go with purge only/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseInspectArgs(argv)).toThrow(ConfigError);
    expect(() => parseInspectArgs(argv)).toThrow(message);
  });
});

const beat = (over: Partial<WorkerHeartbeat> = {}): WorkerHeartbeat => ({
  id: "celeriac@h:42:abcdef",
  hostname: "celeriac@h",
  pid: 42,
  queues: ["default"],
  concurrency: 2,
  tasks: ["b.two", "a.one"],
  startedAt: Date.now() - 3_723_000,
  sentAt: Date.now(),
  intervalMs: 2000,
  pool: "async",
  counts: { processed: 5, succeeded: 3, failed: 1, retried: 1, revoked: 0 },
  total: { "a.one": 5 },
  active: [{ id: "t-1", task: "a.one", startedAt: Date.now() - 1500 }],
  ...over,
});

const zero: QueueCounts = { waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0, paused: false };

/** An app over a stub broker; records output and whether it was closed. */
function stubApp(state: { beats?: WorkerHeartbeat[]; queues?: Record<string, QueueCounts> } = {}) {
  const queues = state.queues ?? { default: { ...zero, waiting: 2, delayed: 1, failed: 4 } };
  const purged: string[] = [];
  const shutdowns: string[] = [];
  const broker = {
    transport: "redis://stub",
    heartbeats: async () => state.beats ?? [],
    queueNames: async () => Object.keys(queues).sort(),
    queueCounts: async (q: string) => queues[q] ?? zero,
    scheduled: async (q: string) => ({
      total: queues[q]?.delayed ?? 0,
      jobs: queues[q]?.delayed ? [{ id: "d-1", task: "a.one", args: [1, "x"], queue: q, eta: Date.UTC(2030, 0, 1), retries: 0 }] : [],
    }),
    purge: async (q: string) => {
      purged.push(q);
      return (queues[q]?.waiting ?? 0) + (queues[q]?.delayed ?? 0);
    },
    pauseQueue: async (q: string) => void (queues[q].paused = true),
    resumeQueue: async (q: string) => void (queues[q].paused = false),
    shutdownWorker: async (id: string) => (state.beats ?? []).some((b) => b.id === id) && shutdowns.push(id) > 0,
  } as unknown as Broker;
  const out = { stdout: "", stderr: "", closed: false, purged, shutdowns, queues };
  // inspect beat is tested against the real database (inspect-beat.int.test.ts), not here.
  const app: InspectApp = { broker, config: { keyPrefix: "stub", timezone: "UTC" }, periodicTasks: {} as InspectApp["periodicTasks"], close: async () => void (out.closed = true) };
  const io = { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) };
  return { app, io, out, run: (argv: string[]) => runInspectCli(app, argv, io) };
}

describe("runInspectCli", () => {
  it("a bad command: usage on stderr, exit 2, nothing on stdout", async () => {
    const s = stubApp();
    expect(await s.run(["bogus"])).toBe(EXIT.usage);
    expect(EXIT.usage).toBe(2);
    expect(s.out.stdout).toBe("");
    expect(s.out.stderr).toBe(`error: unknown command 'bogus'\n\n${INSPECT_USAGE}\n`);
  });

  it("--help: usage on stdout, exit 0", async () => {
    const s = stubApp();
    expect(await s.run(["--help"])).toBe(0);
    expect(s.out.stdout).toContain("inspect active");
    expect(s.out.stdout).toContain("purge -Q a,b --force");
  });

  it("inspect registered: Celery-like blocks, sorted names, and a nodes-online line; closes the app", async () => {
    const s = stubApp({ beats: [beat()] });
    expect(await s.run(["inspect", "registered"])).toBe(0);
    expect(s.out.stdout).toBe("-> celeriac@h: OK\n    * a.one\n    * b.two\n\n1 node online.\n");
    expect(s.out.closed).toBe(true);
  });

  it("inspect active: a table of running tasks, '- empty -' for an idle worker", async () => {
    const s = stubApp({ beats: [beat(), beat({ id: "celeriac@i:7:000000", hostname: "celeriac@i", pid: 7, active: [] })] });
    expect(await s.run(["inspect", "active"])).toBe(0);
    const lines = s.out.stdout.split("\n");
    expect(lines[0]).toBe("-> celeriac@h: OK");
    expect(lines[1]).toBe("    id   task   started                   running for");
    expect(lines[2]).toMatch(/^ {4}t-1  a\.one  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z  1\.\d s$/);
    expect(lines.slice(3)).toEqual(["-> celeriac@i: OK", "    - empty -", "", "2 nodes online.", ""]);
  });

  it("inspect stats: worker details and a table of queues", async () => {
    const s = stubApp({ beats: [beat()] });
    expect(await s.run(["inspect", "stats"])).toBe(0);
    expect(s.out.stdout).toContain("-> celeriac@h: OK\n    id:           celeriac@h:42:abcdef\n    pid:          42\n");
    expect(s.out.stdout).toContain("    concurrency:  2 per queue (async pool)\n");
    expect(s.out.stdout).toContain("    uptime:       1 h 2 min (since ");
    expect(s.out.stdout).toContain("    processed:    5 (succeeded 3, failed 1, retried 1, revoked 0)\n      a.one: 5\n");
    expect(s.out.stdout).toContain(
      "queues:\n    queue    waiting  prioritized  active  delayed  failed  paused\n    default        2            0       0        1       4  no\n",
    );
  });

  it("--json prints the replies as JSON", async () => {
    const s = stubApp({ beats: [beat()] });
    expect(await s.run(["inspect", "scheduled", "--json"])).toBe(0);
    expect(JSON.parse(s.out.stdout)).toEqual([
      { queue: "default", total: 1, tasks: [{ id: "d-1", task: "a.one", args: [1, "x"], eta: "2030-01-01T00:00:00.000Z", retries: 0 }] },
    ]);
  });

  it("no live worker: exit 69 with a message naming the key prefix (stats still shows the queues)", async () => {
    for (const what of ["active", "registered"]) {
      const s = stubApp();
      expect(await s.run(["inspect", what])).toBe(69);
      expect(s.out.stdout).toBe("");
      expect(s.out.stderr).toBe("Error: no worker is running (no heartbeat under {stub}); start one with celeriac worker\n");
    }
    const s = stubApp();
    expect(await s.run(["inspect", "stats"])).toBe(69);
    expect(s.out.stdout).toMatch(/^queues:\n/);
    const j = stubApp();
    expect(await j.run(["inspect", "active", "--json"])).toBe(69);
    expect(JSON.parse(j.out.stdout)).toEqual([]);
  });

  it("purge without --force refuses, deletes nothing and says to add --force", async () => {
    const s = stubApp();
    expect(await s.run(["purge", "-Q", "default"])).toBe(1);
    expect(s.out.purged).toEqual([]);
    expect(s.out.stderr).toBe("purge would delete 3 waiting and delayed tasks from default for good. Nothing was deleted: add --force to do it (purge never prompts).\n");
  });

  it("purge --force deletes from the named queues, or from every known queue without -Q", async () => {
    const s = stubApp({ queues: { a: { ...zero, waiting: 1 }, b: { ...zero, delayed: 2 } } });
    expect(await s.run(["purge", "-Q", "b", "--force"])).toBe(0);
    expect(s.out.purged).toEqual(["b"]);
    expect(s.out.stdout).toBe("Purged 2 tasks from 1 queue.\n    b: 2\n");
    const all = stubApp({ queues: { a: { ...zero, waiting: 1 }, b: { ...zero, delayed: 2 } } });
    expect(await all.run(["purge", "--force", "--json"])).toBe(0);
    expect(JSON.parse(all.out.stdout)).toEqual({ total: 3, queues: [{ queue: "a", purged: 1 }, { queue: "b", purged: 2 }] });
  });

  it("purge of a queue nobody knows: exit 1, listing the known ones", async () => {
    const s = stubApp();
    expect(await s.run(["purge", "-Q", "nope", "--force"])).toBe(1);
    expect(s.out.purged).toEqual([]);
    expect(s.out.stderr).toBe("Error: no queue named 'nope'; known queues: default\n");
  });

  it("control pause and resume: the queue's paused flag flips, and stats shows it", async () => {
    const s = stubApp();
    expect(await s.run(["control", "pause", "default"])).toBe(0);
    expect(s.out.queues.default.paused).toBe(true);
    expect(s.out.stdout).toBe(
      "-> queue default: paused; workers take no new task from it (running ones finish), the rest wait until: celeriac control resume default\n",
    );
    const stats = stubApp({ queues: s.out.queues });
    await stats.run(["inspect", "stats"]);
    expect(stats.out.stdout).toContain("    default        2            0       0        1       4  yes\n");
    const resumed = stubApp({ queues: s.out.queues });
    expect(await resumed.run(["control", "resume", "default", "--json"])).toBe(0);
    expect(JSON.parse(resumed.out.stdout)).toEqual({ queue: "default", paused: false });
    expect(s.out.queues.default.paused).toBe(false);
    expect(resumed.out.closed).toBe(true);
  });

  it("control pause of a queue nobody knows: exit 1, listing the known ones, nothing paused", async () => {
    const s = stubApp();
    expect(await s.run(["control", "pause", "nope"])).toBe(1);
    expect(s.out.stderr).toBe("Error: no queue named 'nope'; known queues: default\n");
    expect(s.out.queues.nope).toBeUndefined();
  });

  it("control shutdown: by id asks that worker; by hostname every live worker of it", async () => {
    const h2 = beat({ id: "celeriac@h:43:123456", pid: 43 });
    const other = beat({ id: "celeriac@o:7:000000", hostname: "celeriac@o", pid: 7 });
    const byId = stubApp({ beats: [beat(), h2, other] });
    expect(await byId.run(["control", "shutdown", "celeriac@h:43:123456"])).toBe(0);
    expect(byId.out.shutdowns).toEqual(["celeriac@h:43:123456"]);
    expect(byId.out.stdout).toBe(
      "-> celeriac@h (pid 43, 123456): OK, warm shutdown requested (celeriac@h:43:123456)\n\n" +
        "Each takes no new task, finishes its running ones (within its shutdownGraceMs), then exits.\n",
    );
    const byHost = stubApp({ beats: [beat(), h2, other] });
    expect(await byHost.run(["control", "shutdown", "celeriac@h", "--json"])).toBe(0);
    expect(byHost.out.shutdowns).toEqual(["celeriac@h:42:abcdef", "celeriac@h:43:123456"]);
    expect(JSON.parse(byHost.out.stdout).map((w: { id: string }) => w.id)).toEqual(["celeriac@h:42:abcdef", "celeriac@h:43:123456"]);
  });

  it("control shutdown of a worker that is not live: exit 1, listing the live ones with their ids", async () => {
    const s = stubApp({ beats: [beat()] });
    expect(await s.run(["control", "shutdown", "celeriac@gone"])).toBe(1);
    expect(s.out.shutdowns).toEqual([]);
    expect(s.out.stderr).toBe("Error: no live worker named 'celeriac@gone'; live workers: celeriac@h (celeriac@h:42:abcdef)\n");
    const none = stubApp();
    expect(await none.run(["control", "shutdown", "celeriac@gone"])).toBe(1);
    expect(none.out.stderr).toBe("Error: no live worker named 'celeriac@gone'; live workers: none\n");
  });

  it("a broker that does not answer: exit 1 after the timeout, and the app is closed", async () => {
    const s = stubApp();
    (s.app.broker as unknown as { heartbeats: () => Promise<never> }).heartbeats = () => new Promise<never>(() => undefined);
    expect(await runInspectCli(s.app, ["inspect", "active"], { ...s.io, timeoutMs: 50 })).toBe(1);
    expect(s.out.stderr).toBe("Error: the broker (redis://stub) did not answer within 0.05 s\n");
    expect(s.out.closed).toBe(true);
  });
});

describe("render helpers", () => {
  it("table pads columns and right-aligns numeric ones", () => {
    expect(table([["name", "n"], ["a", "5"], ["long", "10"]])).toEqual(["    name   n", "    a      5", "    long  10"]);
  });
  it("duration reads like a person would say it", () => {
    expect([900, 61_000, 3_720_000, 90_000_000].map(duration)).toEqual(["0.9 s", "1 min 1 s", "1 h 2 min", "1 d 1 h"]);
  });
});
