/** /admin/periodic-tasks/new: a periodic task made in the admin (source "admin"). Staff only. */
import { pageGate } from "@/lib/admin-guard";
import { celeriac } from "@/lib/celery";
import styles from "../../admin.module.css";
import { formValuesOf } from "../form-values";
import { TaskForm } from "../task-form";

export const dynamic = "force-dynamic";

export default async function NewPeriodicTaskPage() {
  await pageGate();
  return (
    <main className={styles.main}>
      <h1>New periodic task</h1>
      <p className="lead">Beat picks it up on its next loop. Settings rows come from lib/celery.ts instead.</p>
      <TaskForm initial={formValuesOf()} appTimezone={celeriac.config.timezone} />
    </main>
  );
}
