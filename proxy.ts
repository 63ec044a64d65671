/**
 * Next.js proxy (formerly middleware), on /api/tasks/** only: a path whose percent-encoding is malformed
 * (`/api/tasks/%ZZ`) is a 400 JSON answer like any other bad task id. Left to Next, decoding the `[id]`
 * parameter fails before the route handler runs, and it answers 500.
 */
import { NextResponse, type NextRequest } from "next/server";

export function proxy(request: NextRequest) {
  try {
    decodeURIComponent(request.nextUrl.pathname);
  } catch {
    return NextResponse.json({ error: "invalid task id: malformed percent-encoding in the URL" }, { status: 400 });
  }
  return NextResponse.next();
}

export const config = { matcher: "/api/tasks/:path*" };
