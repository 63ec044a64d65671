/**
 * Section 4's tasks, loaded by discovery in the bench process and in every process-pool child. Each comes
 * twice: results stored (what is measured), and with ignoreResult (a diagnostic: the pool without the
 * result store's two writes per task).
 */
import { z } from "zod";
import { task } from "../pool-app";

const ms = z.tuple([z.number().int().min(0).max(60_000)]);
const fibArgs = z.tuple([z.number().int().min(0).max(40)]);

/** CPU-bound: naive recursive Fibonacci, milliseconds of pure JavaScript with no await. */
function fibRun(_ctx: unknown, n: number): number {
  const f = (k: number): number => (k < 2 ? k : f(k - 1) + f(k - 2));
  return f(n);
}

/** I/O-bound: waits `ms` without using the CPU, as a call to another service would. */
async function sleepRun(_ctx: unknown, ms: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
}

export const fib = task({ name: "bench.fib", args: fibArgs, run: fibRun });
export const sleep = task({ name: "bench.sleep", args: ms, run: sleepRun });
export const fibNoResult = task({ name: "bench.fib.noresult", args: fibArgs, ignoreResult: true, run: fibRun });
export const sleepNoResult = task({ name: "bench.sleep.noresult", args: ms, ignoreResult: true, run: sleepRun });
