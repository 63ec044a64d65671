/** The web server: `npm start` (PORT, default 3001; on 127.0.0.1 only). The worker runs beside it: `npm run worker`. */
import { app } from "./app";
import { celeriac } from "./lib/celery";
import { dashboard } from "./lib/dashboard";
import { db } from "./lib/db";

const port = Number(process.env.PORT ?? 3001);
const server = app.listen(port, "127.0.0.1", (error?: Error) => {
  if (error) throw error; // the port is taken, say
  console.log(`celeriac Express example on http://127.0.0.1:${port}`);
});

// End the dashboard's live feeds (open streams would keep the server from closing), finish the requests in
// flight, then close celeriac's connections (Redis, the result store) and Prisma's.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void (dashboard?.dashboard.close() ?? Promise.resolve()).finally(() =>
      server.close(() => void celeriac.close().finally(() => db.$disconnect()).finally(() => process.exit(0))),
    );
  });
}
