/**
 * The Audit area: `GET audit?before=<id>` → AuditPage, the newest entries first, AUDIT_PAGE_SIZE a page;
 * `next` is the `before` of the next (older) page.
 */
import { z } from "zod";
import type { AuditPage } from "../api-types.js";
import type { DashboardContext } from "../context.js";
import { jsonReply, parseInput } from "../http.js";
import type { ApiRoute } from "../router.js";

const AUDIT_PAGE_SIZE = 50;

const querySchema = z.object({ before: z.coerce.number({ message: "an audit entry id" }).int("an audit entry id").positive("an audit entry id").optional() });

export function auditRoutes({ app, presenter }: DashboardContext): ApiRoute[] {
  return [
    {
      method: "GET",
      path: "audit",
      async handle({ url }) {
        const before = url.searchParams.get("before");
        const query = parseInput(querySchema, { before: before === null || before === "" ? undefined : before }, { root: "query", depth: 1 });
        const page = await app.audit.list({ before: query.before, limit: AUDIT_PAGE_SIZE });
        return jsonReply({ entries: page.entries.map((entry) => presenter.auditEntry(entry)), next: page.next } satisfies AuditPage);
      },
    },
  ];
}
