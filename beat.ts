/**
 * `npm run beat -- [-l loglevel]`: sends periodic tasks (settings.beatSchedule and the PeriodicTask table).
 * In production, run the compiled copy: `node dist/beat.js` (`npm run build` makes it).
 */
import { runBeat } from "@/lib/celeriac";
import { celeriac } from "@/lib/celery";
import { besideThisModule } from "@/lib/entry-paths";

await runBeat(celeriac, { argv: process.argv.slice(2), tasksDir: besideThisModule(import.meta.url, "tasks") });
