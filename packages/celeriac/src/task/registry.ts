/** name → task. The worker runs only what its registry knows; anything else fails as unregistered. */
import { DuplicateTaskError } from "../errors.js";
import type { AnyTaskDefinition } from "./define.js";

export class Registry {
  private readonly tasks = new Map<string, { task: AnyTaskDefinition; source: string | undefined }>();

  /**
   * Adds a task. With a `source` (the file it came from), a second task of the same name from another
   * source is an error. Without one (tasks registered as they are defined), a redefinition replaces the
   * old one, which is what a hot-reloaded module does.
   */
  register(task: AnyTaskDefinition, source?: string): void {
    const existing = this.tasks.get(task.name);
    if (existing?.task === task) return; // the same task re-exported by another module
    if (existing && source !== undefined && existing.source !== undefined && existing.source !== source) {
      throw new DuplicateTaskError(task.name, [existing.source, source]);
    }
    this.tasks.set(task.name, { task, source });
  }

  get(name: string): AnyTaskDefinition | undefined {
    return this.tasks.get(name)?.task;
  }

  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  all(): AnyTaskDefinition[] {
    return this.names().map((n) => this.tasks.get(n)!.task);
  }
}
