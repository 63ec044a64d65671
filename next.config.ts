import type { NextConfig } from "next";
import { PROXY_BODY_BUFFER_BYTES } from "./lib/request-limits";
import { STREAMED_BODIES } from "./lib/api-routes";
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
      // The API's policy, which proxy.ts adds to every other API answer, on the routes it leaves out (its matcher).
      ...Object.keys(STREAMED_BODIES).map((source) => ({ source, headers: [{ key: "Content-Security-Policy", value: API_CSP }] })),
    ];
  },
};

export default nextConfig;
