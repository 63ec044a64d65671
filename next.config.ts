import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Node-only packages stay outside the bundle (bullmq's optional @valkey/valkey-glide breaks webpack otherwise).
  serverExternalPackages: ["bullmq", "ioredis", "pino", "pino-pretty", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg"],
};

export default nextConfig;
