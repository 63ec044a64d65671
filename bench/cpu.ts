/**
 * CPU time from Linux's /proc: of one process (user + system, its threads included) and of the whole machine.
 * Section 10 samples both around a drain, so the CPU each component used (workers, redis-server, PostgreSQL)
 * can be set against what the machine had, and what other work on it took meanwhile.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** /proc counts in clock ticks of USER_HZ = 100 per second on Linux (getconf CLK_TCK), whatever the kernel's HZ. */
const TICK_US = 10_000;

/** A process's user + system CPU so far, µs (/proc/<pid>/stat fields 14 and 15); undefined once it is gone. */
export function processCpuUs(pid: number): number | undefined {
  try {
    // The name (field 2) may hold spaces and parentheses: the fields after it start past its last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return undefined;
  }
}

/** The program a process runs (/proc/<pid>/comm), or undefined when there is no such process here. */
export function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * Every core's busy and total time so far, µs (/proc/stat's first line; idle and iowait are not busy), and of the
 * busy time what went to hard and soft interrupts, which no process is charged with (loopback TCP between the
 * workers and Redis is mostly softirq work).
 */
export function machineCpuUs(): { busy: number; total: number; irq: number } {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: (total - idle - iowait) * TICK_US, total: total * TICK_US, irq: (irq + softirq) * TICK_US };
}

/** Named groups of processes; `pids` is asked at the start and at the end, so processes started meanwhile count too. */
export interface CpuComponent {
  name: string;
  pids: () => number[] | Promise<number[]>;
}

export interface CpuShares {
  wallMs: number;
  /** Each component's CPU over the window, in % of one core (the machine has cores × 100 %). */
  percent: Record<string, number>;
  /** Interrupt handling (hard and soft), charged to no process: mostly the loopback traffic, ours and others'; % of one core. */
  irqPercent: number;
  /** The machine's busy CPU in no component and not interrupts (other work on the machine), and its idle CPU, % of one core. */
  otherPercent: number;
  idlePercent: number;
  /** Each component's CPU time, µs. */
  cpuUs: Record<string, number>;
}

/**
 * Starts sampling: the returned function takes the second sample. A process that exited in between is counted
 * up to the first sample only (its last CPU is unknown); one started in between counts from 0.
 */
export async function sampleCpu(components: readonly CpuComponent[]): Promise<() => Promise<CpuShares>> {
  const read = async () => {
    const byComponent = await Promise.all(components.map(async (c) => new Map((await c.pids()).map((pid) => [pid, processCpuUs(pid)] as const))));
    return { at: performance.now(), machine: machineCpuUs(), byComponent };
  };
  const first = await read();
  return async () => {
    const second = await read();
    const wallUs = (second.at - first.at) * 1000;
    const cores = availableParallelism();
    const percent: Record<string, number> = {};
    const cpuUs: Record<string, number> = {};
    components.forEach((c, i) => {
      let us = 0;
      for (const [pid, after] of second.byComponent[i]) if (after !== undefined) us += after - (first.byComponent[i].get(pid) ?? 0);
      cpuUs[c.name] = us;
      percent[c.name] = (us / wallUs) * 100;
    });
    const busy = second.machine.busy - first.machine.busy;
    const total = second.machine.total - first.machine.total;
    const irq = second.machine.irq - first.machine.irq;
    const ours = Object.values(cpuUs).reduce((s, x) => s + x, 0);
    // Per-process and machine ticks are sampled separately: the difference is rounded at 0.
    const machineWallUs = total / cores;
    return {
      wallMs: wallUs / 1000,
      percent,
      cpuUs,
      irqPercent: (irq / machineWallUs) * 100,
      otherPercent: Math.max(0, ((busy - irq - ours) / machineWallUs) * 100),
      idlePercent: ((total - busy) / machineWallUs) * 100,
    };
  };
}

/**
 * Waits, up to `maxMs`, for a second in which the machine is busy less than `busyBelow` (0–1 of all cores), so
 * that a measurement on a shared machine starts in a quiet spell when there is one. Resolves with the busy share
 * of the last second sampled, whether or not it was quiet.
 */
export async function quietSpell(maxMs: number, busyBelow: number): Promise<{ busy: number; waitedMs: number }> {
  const start = performance.now();
  for (;;) {
    const a = machineCpuUs();
    await new Promise((r) => setTimeout(r, 1000));
    const b = machineCpuUs();
    const busy = (b.busy - a.busy) / (b.total - a.total);
    const waitedMs = performance.now() - start;
    if (busy < busyBelow || waitedMs >= maxMs) return { busy, waitedMs };
  }
}
