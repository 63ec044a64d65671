/**
 * The hash tag a queue's BullMQ keys start with (BullMQ's `prefix`; BullMQ appends `:<queue>:…`), in each
 * key layout: the one formula the broker, the 0.2 key migration and the tests share. A leaf: no Redis here.
 *
 *   one-slot (0.2)   {keyPrefix}          every queue in the slot of the app's tag
 *   per-queue        {keyPrefix:queue}    each queue in a slot of its own
 */
export function queueKeyPrefix(keyPrefix: string, queue: string, layout: "per-queue" | "one-slot" = "per-queue"): string {
  return layout === "one-slot" ? `{${keyPrefix}}` : `{${keyPrefix}:${queue}}`;
}
