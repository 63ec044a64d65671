/** /admin and every page below it: the dashboard's pages and their assets (lib/dashboard.ts). */
import { dashboard } from "@/lib/dashboard";

export const dynamic = "force-dynamic";

export const GET = dashboard.handle;
export const HEAD = dashboard.handle;
