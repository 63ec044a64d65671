/**
 * The processes integration tests start (the real worker, beat and CLI mains, in node with tsx's loader),
 * and what they print: all of it, and the JSON log lines as they arrive. A stream hands over chunks, not
 * lines, so each stream's unfinished last line is kept until its end comes (parsing each chunk alone lost a
 * line split across two, and a test counting lines miscounted).
 */
import { spawn, type ChildProcess } from "node:child_process";

/** One JSON log line (pino's), and when it was read. */
export interface LogLine {
  level: number;
  msg: string;
  at: number;
}

export interface TestProcess {
  child: ChildProcess;
  /** Everything printed on stdout and stderr, in arrival order. */
  output(): string;
  /** The JSON log lines of both streams, in order. */
  lines(): LogLine[];
  /** The exit code, or the signal's name. */
  exited: Promise<number | string | null>;
}

/** Runs `node --import tsx <args>` from the project's root with `env` over this process's environment. */
export function startProcess(args: readonly string[], env: Record<string, string> = {}): TestProcess {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const lines: LogLine[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = "";
    stream.on("data", (chunk: Buffer) => {
      out += chunk;
      const whole = (partial + chunk).split("\n");
      partial = whole.pop()!;
      for (const line of whole) {
        const parsed = logLine(line);
        if (parsed) lines.push(parsed);
      }
    });
  }
  const exited = new Promise<number | string | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? signal)));
  return { child, output: () => out, lines: () => lines, exited };
}

/** A whole line as a log line; undefined for anything else a process prints (a banner, a one-line error). */
function logLine(line: string): LogLine | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const { level, msg } = JSON.parse(line) as { level?: unknown; msg?: unknown };
    return { level: Number(level), msg: String(msg), at: Date.now() };
  } catch {
    return undefined;
  }
}
