/** The run's server, as playwright.config.ts starts it (E2E_PORT, default 3100). */
export const PORT = Number(process.env.E2E_PORT ?? "3100");
export const ORIGIN = `http://127.0.0.1:${PORT}`;
