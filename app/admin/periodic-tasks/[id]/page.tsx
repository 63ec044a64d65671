/** /admin/periodic-tasks/[id]: edit one periodic task (editing a settings row detaches it). Staff only; 404 unknown id. */
import { notFound } from "next/navigation";
import { pageGate } from "@/lib/admin-guard";
import { celeriac } from "@/lib/celery";
import { parseDecimalId } from "@/lib/decimal-id";
import styles from "../../admin.module.css";
import { formValuesOf } from "../form-values";
import { sourceOf } from "celeriac";
import { TaskForm } from "../task-form";

export const dynamic = "force-dynamic";

export default async function EditPeriodicTaskPage({ params }: { params: Promise<{ id: string }> }) {
  await pageGate();
  const { id: text } = await params;
  const id = parseDecimalId(text);
  const view = id === undefined ? null : await celeriac.periodicTasks.get(id);
  if (!view) notFound();
  const source = sourceOf(view);
  return (
    <main className={styles.main}>
      <h1>Edit periodic task</h1>
      <p className="lead" data-testid="edit-source">
        Source: <strong>{source}</strong>.{" "}
        {source === "settings" &&
          "This row mirrors settings.beatSchedule: changing its task, arguments, schedule or options detaches it (a deploy will no longer update it). Enabled and description stay yours either way."}
        {source === "settings, edited in admin" && "Detached from settings: deploys leave it alone until you return it to settings from the list."}
      </p>
      <TaskForm id={view.id} initial={formValuesOf(view)} appTimezone={celeriac.config.timezone} />
    </main>
  );
}
