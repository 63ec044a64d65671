/** `npm run beat -- [-l loglevel]`: sends periodic tasks (settings.beatSchedule and the PeriodicTask table). */
import { runBeat } from "@/lib/celeriac";
import { celeriac } from "@/lib/celery";

await runBeat(celeriac, { argv: process.argv.slice(2), tasksDir: "tasks" });
