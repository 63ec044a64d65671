import { describe, expect, it } from "vitest";
import { z } from "zod";
import { resolveConfig } from "../config.js";
import { defineTask } from "./define.js";
import { effectiveOptions, globMatches, routeFor } from "./options.js";

const t = (name: string, extra = {}) => defineTask({ name, args: z.tuple([]), run: () => 0, ...extra });

describe("globMatches", () => {
  it("matches exact names and * wildcards", () => {
    expect(globMatches("emails.send", "emails.send")).toBe(true);
    expect(globMatches("emails.*", "emails.send")).toBe(true);
    expect(globMatches("*.send", "emails.send")).toBe(true);
    expect(globMatches("emails.*", "reports.build")).toBe(false);
    expect(globMatches("emails.send", "emails.sendX")).toBe(false);
    expect(globMatches("a.b", "aXb")).toBe(false); // dots are literal
  });
});

describe("routeFor (taskRoutes)", () => {
  const config = resolveConfig({ taskRoutes: { "reports.*": "heavy", "reports.tiny": "default", "*.mail": "mail" } });
  it("takes the first matching route, else defaultQueue", () => {
    expect(routeFor("reports.build", config)).toBe("heavy");
    expect(routeFor("users.mail", config)).toBe("mail");
    expect(routeFor("demo.add", config)).toBe("default");
  });
  it("refuses a bad queue name in settings", () => {
    expect(() => resolveConfig({ taskRoutes: { x: "no spaces" } })).toThrow(/taskRoutes/);
  });
});

describe("effectiveOptions", () => {
  it("uses Celery's defaults and the settings' limits", () => {
    const o = effectiveOptions(t("a"), resolveConfig({ taskTimeLimit: 30, taskSoftTimeLimit: 25 }));
    expect(o).toMatchObject({ maxRetries: 3, retryBackoff: false, retryBackoffMaxMs: 600_000, retryJitter: true, defaultRetryDelayMs: 180_000 });
    expect(o).toMatchObject({ timeLimitMs: 30_000, softTimeLimitMs: 25_000, ignoreResult: false, rateLimit: undefined });
  });
  it("lets the task's own options win over settings defaults", () => {
    const o = effectiveOptions(t("a", { timeLimit: 5, ignoreResult: true }), resolveConfig({ taskTimeLimit: 30, taskIgnoreResult: false }));
    expect(o).toMatchObject({ timeLimitMs: 5000, ignoreResult: true });
  });
  it("trackStarted: the task's own, else an annotation, else taskTrackStarted (true unless set)", () => {
    expect(effectiveOptions(t("a"), resolveConfig({})).trackStarted).toBe(true);
    expect(effectiveOptions(t("a"), resolveConfig({ taskTrackStarted: false })).trackStarted).toBe(false);
    expect(effectiveOptions(t("a", { trackStarted: true }), resolveConfig({ taskTrackStarted: false })).trackStarted).toBe(true);
    expect(effectiveOptions(t("a"), resolveConfig({ taskAnnotations: { a: { trackStarted: false } } })).trackStarted).toBe(false);
    expect(() => t("a", { trackStarted: "yes" as never })).toThrow(/trackStarted is true or false/);
  });
  it("applies taskAnnotations over the task, the exact name over globs", () => {
    const config = resolveConfig({
      taskAnnotations: { "*": { rateLimit: "100/m" }, "emails.*": { rateLimit: "10/s", maxRetries: 5 }, "emails.send": { maxRetries: 9 } },
    });
    expect(effectiveOptions(t("emails.send", { maxRetries: 1 }), config)).toMatchObject({ rateLimit: "10/s", maxRetries: 9 });
    expect(effectiveOptions(t("emails.other"), config)).toMatchObject({ rateLimit: "10/s", maxRetries: 5 });
    expect(effectiveOptions(t("demo.add"), config)).toMatchObject({ rateLimit: "100/m", maxRetries: 3 });
  });
  it("refuses malformed annotations with the setting's name", () => {
    expect(() => resolveConfig({ taskAnnotations: { x: { rateLimit: "fast" } } })).toThrow(/taskAnnotations/);
  });
});
