/**
 * Pathname routing under the pages root (data-pages-path) with the History API: Link, useRoute and the
 * Routes table. Paths given to Link and navigate() are relative to the root ("/tasks?status=FAILURE"),
 * so the dashboard works wherever the app mounts it.
 */
import { createContext, useCallback, useContext, useMemo, useSyncExternalStore } from "react";
import type React from "react";
import { config } from "./config.js";

const changeListeners = new Set<() => void>();

function subscribeLocation(listener: () => void): () => void {
  changeListeners.add(listener);
  window.addEventListener("popstate", listener);
  return () => {
    changeListeners.delete(listener);
    window.removeEventListener("popstate", listener);
  };
}

function locationSnapshot(): string {
  return window.location.pathname + window.location.search;
}

export function href(to: string): string {
  return `${config().pagesPath}${to.startsWith("/") ? to : `/${to}`}`;
}

export function navigate(to: string, options?: { replace?: boolean }): void {
  if (options?.replace) window.history.replaceState(null, "", href(to));
  else {
    window.history.pushState(null, "", href(to));
    window.scrollTo(0, 0);
  }
  for (const listener of changeListeners) listener();
}

/** The pathname below the pages root, without a trailing slash ("/" for the root itself). */
function relativePath(pathname: string): string {
  const root = config().pagesPath;
  const below = root !== "" && (pathname === root || pathname.startsWith(`${root}/`)) ? pathname.slice(root.length) : pathname;
  const trimmed = below.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** The params of `pattern` ("/tasks/:id") in `path`, or null when it does not match. */
function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split("/");
  const have = path.split("/");
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (const [index, part] of want.entries()) {
    const segment = have[index] ?? "";
    if (part.startsWith(":")) {
      if (segment === "") return null;
      params[part.slice(1)] = decodeURIComponent(segment);
    } else if (part !== segment) return null;
  }
  return params;
}

const ParamsContext = createContext<Record<string, string>>({});

export interface Route {
  pattern: string;
  render(params: Record<string, string>): React.ReactNode;
}

/** Renders the first route matching the current path, else `notFound`. */
export function Routes(props: { routes: readonly Route[]; notFound: React.ReactNode }): React.JSX.Element {
  const { path } = useRoute();
  for (const route of props.routes) {
    const params = matchPath(route.pattern, path);
    if (params !== null) return <ParamsContext.Provider value={params}>{route.render(params)}</ParamsContext.Provider>;
  }
  return <>{props.notFound}</>;
}

export function useRoute(): {
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  navigate(to: string, options?: { replace?: boolean }): void;
} {
  const location = useSyncExternalStore(subscribeLocation, locationSnapshot);
  const params = useContext(ParamsContext);
  return useMemo(() => {
    const url = new URL(location, window.location.origin);
    return { path: relativePath(url.pathname), params, query: url.searchParams, navigate };
  }, [location, params]);
}

export function Link(props: {
  to: string;
  className?: string;
  children: React.ReactNode;
  "data-testid"?: string;
  "aria-current"?: "page";
  title?: string;
}): React.JSX.Element {
  const { to } = props;
  const onClick = useCallback(
    (event: React.MouseEvent<HTMLAnchorElement>) => {
      // Let the browser handle new tabs and windows.
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      navigate(to);
    },
    [to],
  );
  return (
    <a
      href={href(to)}
      onClick={onClick}
      className={props.className}
      data-testid={props["data-testid"]}
      aria-current={props["aria-current"]}
      title={props.title}
    >
      {props.children}
    </a>
  );
}
