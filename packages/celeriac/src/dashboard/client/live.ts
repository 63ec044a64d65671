/**
 * Live data: ONE EventSource on `<api>/events` shared by every page (the server pushes; nothing here
 * polls), and the hooks the pages use — useFeed (one event type), useLive (a load that reloads
 * after a reconnect, since events sent while the connection was down are lost) and useLiveResource (a
 * load that each event of one type replaces).
 *
 * The browser reconnects an EventSource on its own after a network error; when the server refuses the
 * stream (e.g. a 401 after the session ended) the source closes for good, so this module opens a new one
 * after a pause that grows to a minute.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { FeedEventName, FeedEvents } from "../api-types.js";
import { apiGet } from "./api.js";
import { config } from "./config.js";

type Listener = (data: unknown) => void;

/** Every event type of the feed; a Record, so a new FeedEvents member cannot be forgotten here. */
const EVENT_NAMES = Object.keys({ tasks: 0, workers: 0, queues: 0, periodic: 0, overview: 0 } satisfies Record<FeedEventName, 0>) as FeedEventName[];
const REOPEN_FIRST_MS = 2_000;
const REOPEN_MAX_MS = 60_000;

const listeners = new Map<FeedEventName, Set<Listener>>();
const reconnectListeners = new Set<() => void>();
let source: EventSource | undefined;
let reopenMs = REOPEN_FIRST_MS;
let reopenTimer: ReturnType<typeof setTimeout> | undefined;
let wasOpen = false;

function open(): void {
  const next = new EventSource(`${config().apiPath}/events`);
  source = next;
  next.onopen = () => {
    reopenMs = REOPEN_FIRST_MS;
    if (wasOpen) for (const listener of reconnectListeners) listener();
    wasOpen = true;
  };
  next.onerror = () => {
    if (next.readyState !== EventSource.CLOSED) return;
    source = undefined;
    reopenTimer = setTimeout(() => {
      reopenTimer = undefined;
      if (subscriberCount() > 0) open();
    }, reopenMs);
    reopenMs = Math.min(reopenMs * 2, REOPEN_MAX_MS);
  };
  for (const name of EVENT_NAMES) {
    next.addEventListener(name, (event) => dispatch(name, (event as MessageEvent<string>).data));
  }
}

function dispatch(name: FeedEventName, text: string): void {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return;
  }
  for (const listener of listeners.get(name) ?? []) listener(data);
}

function subscriberCount(): number {
  let count = reconnectListeners.size;
  for (const set of listeners.values()) count += set.size;
  return count;
}

function ensureOpen(): void {
  if (source === undefined && reopenTimer === undefined) open();
}

function subscribe(name: FeedEventName, listener: Listener): () => void {
  let set = listeners.get(name);
  if (set === undefined) listeners.set(name, (set = new Set()));
  set.add(listener);
  ensureOpen();
  return () => set.delete(listener);
}

function onReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener);
  ensureOpen();
  return () => reconnectListeners.delete(listener);
}

/** Calls `listener` with every `event` of the feed while the component is mounted (the latest listener, without resubscribing). */
export function useFeed<K extends FeedEventName>(event: K, listener: (data: FeedEvents[K]) => void): void {
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => subscribe(event, (data) => latest.current(data as FeedEvents[K])), [event]);
}

export interface Live<T> {
  data: T | undefined;
  error: string | undefined;
  reload(): void;
  setData(update: (old: T | undefined) => T | undefined): void;
}

/**
 * Runs `load` when `deps` change (the caller's deps decide, as with useEffect), on reload(), and after
 * the feed reconnects; the page merges feed events into `data` with setData. A slower, older load
 * never overwrites a newer one.
 */
export function useLive<T>(load: () => Promise<T>, deps: readonly unknown[]): Live<T> {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [generation, setGeneration] = useState(0);
  const latestLoad = useRef(load);
  latestLoad.current = load;

  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  useEffect(() => onReconnect(reload), [reload]);

  // Data loaded for other deps (another task, another filter) is not shown while the new load runs.
  useEffect(() => {
    setDataState(undefined);
    setError(undefined);
  }, deps);

  useEffect(() => {
    let current = true;
    latestLoad.current().then(
      (value) => {
        if (!current) return;
        setDataState(value);
        setError(undefined);
      },
      (reason: unknown) => {
        if (current) setError(reason instanceof Error ? reason.message : String(reason));
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, generation]);

  const setData = useCallback((update: (old: T | undefined) => T | undefined) => setDataState(update), []);
  return { data, error, reload, setData };
}

/** useLive of GET `path`, which answers what the feed's `event` carries: each event replaces the data. */
export function useLiveResource<K extends FeedEventName>(path: string, event: K): Live<FeedEvents[K]> {
  const live = useLive(() => apiGet<FeedEvents[K]>(path), [path]);
  useFeed(event, (data) => live.setData(() => data));
  return live;
}
