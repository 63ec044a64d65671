/** GET /api/metrics: Prometheus metrics, to `Authorization: Bearer $METRICS_TOKEN` only; 404 when it is unset (lib/dashboard.ts). */
import { dashboard } from "@/lib/dashboard";

export const dynamic = "force-dynamic";

export const GET = dashboard.metrics;
