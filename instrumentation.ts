/** Next's start-up hook: the web server's checks and its TRACE answer (lib/server-boot.ts), in the Node.js runtime. */
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") await (await import("@/lib/server-boot")).bootServer();
}
