/** /api/admin/…: the dashboard's JSON API and its live feed (lib/dashboard.ts; the routes: celeriac/dashboard's api-types). */
import { dashboard } from "@/lib/dashboard";

export const dynamic = "force-dynamic";

export const GET = dashboard.handle;
export const POST = dashboard.handle;
export const PUT = dashboard.handle;
export const PATCH = dashboard.handle;
export const DELETE = dashboard.handle;
