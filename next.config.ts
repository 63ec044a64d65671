import type { NextConfig } from "next";
import { PROXY_BODY_BUFFER_BYTES } from "./lib/request-limits";
import { API_CSP, STATIC_SECURITY_HEADERS } from "./lib/security-headers";

const nextConfig: NextConfig = {
  // Node-only packages stay outside the bundle, loaded from node_modules/ at run time (bullmq's optional @valkey/valkey-glide breaks webpack otherwise).
  serverExternalPackages: ["celeriac", "bullmq", "ioredis", "pino", "pino-pretty", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg"],
  poweredByHeader: false,
  experimental: {
    // Next reads a body into memory while proxy.ts runs (10 MB by default): no more than a route may accept
    // (lib/request-limits.ts). The rest of a larger body is dropped, and route() answers 413.
    proxyClientMaxBodySize: PROXY_BODY_BUFFER_BYTES,
  },
  // The headers that never change, on every answer, static files included; proxy.ts adds the
  // Content-Security-Policy (a page's carries a per-request nonce).
  async headers() {
    return [
      { source: "/:path*", headers: Object.entries(STATIC_SECURITY_HEADERS).map(([key, value]) => ({ key, value })) },
      // The API's policy, which proxy.ts adds to every other API answer, on the routes its matcher leaves out
      // (lib/api-routes.ts's STREAMED_BODIES; lib/api-routes.test.ts holds the three lists together).
      { source: "/api/uploads", headers: [{ key: "Content-Security-Policy", value: API_CSP }] },
    ];
  },
};

export default nextConfig;
