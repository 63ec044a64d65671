/** `npm run celeriac -- inspect active|scheduled|registered|stats [--json]` and `purge [-Q a,b] --force`. */
import { runInspectCli } from "@/lib/celeriac";
import { celeriac } from "@/lib/celery";

process.exitCode = await runInspectCli(celeriac, process.argv.slice(2));
