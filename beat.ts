/**
 * `npm run beat -- [-l loglevel]`: sends periodic tasks (settings.beatSchedule and the PeriodicTask table).
 * In production, run the compiled copy: `node dist/beat.js` (`npm run build` makes it).
 */
import { exitOnStartupError } from "celeriac";
import { runBeat } from "celeriac/cli";
import { besideThisModule } from "@/lib/entry-paths";

// Imported here, not at the top: a bad setting met while creating the app is one line and exit 78 too.
const { celeriac } = await import("@/lib/celery").catch((error: unknown) => exitOnStartupError(error, "celeriac beat"));

await runBeat(celeriac, { argv: process.argv.slice(2), tasksDir: besideThisModule(import.meta.url, "tasks") });
