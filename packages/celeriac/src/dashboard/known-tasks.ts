/**
 * The tasks a dashboard knows by name, with their schemas and redaction: the ones it was given (Task objects,
 * or module namespaces holding them, so that a web process that never imported a task module still knows
 * it) and whatever the app's registry holds now (tasks defined through the app in this process). The live
 * workers' heartbeats add names whose definitions live only in the workers.
 */
import type { WorkerHeartbeat } from "../broker/inspection.js";
import type { Task } from "../dispatch/apply.js";
import type { AnyTaskDefinition } from "../task/define.js";
import { isTask } from "../task/discover.js";
import type { Registry } from "../task/registry.js";

/** What `createDashboard({ tasks })` takes: tasks, or module namespaces (`import * as emails from "@/tasks/emails"`). */
export type TaskSource = AnyTaskDefinition | Readonly<Record<string, unknown>>;

/** A definition that can send itself (bound to an app by `task()`), or only describes the task. */
export type KnownTask = AnyTaskDefinition & Partial<Pick<Task, "applyAsync">>;

export class KnownTasks {
  private readonly given = new Map<string, KnownTask>();

  constructor(
    sources: readonly TaskSource[],
    private readonly registry: Registry,
  ) {
    for (const source of sources) {
      const tasks = isTask(source) ? [source] : Object.values(source).filter(isTask);
      for (const task of tasks) this.given.set(task.name, task);
    }
  }

  /** The definition of `name`, or undefined when neither the given tasks nor the registry have it. */
  get(name: string): KnownTask | undefined {
    return this.given.get(name) ?? this.registry.get(name);
  }

  /** Every name with a definition here, sorted. */
  names(): string[] {
    return [...new Set([...this.given.keys(), ...this.registry.names()])].sort();
  }

  /** These names and the ones the live workers say they run, sorted. */
  namesWith(heartbeats: readonly Pick<WorkerHeartbeat, "tasks">[]): string[] {
    return [...new Set([...this.names(), ...heartbeats.flatMap((beat) => beat.tasks)])].sort();
  }
}
