/**
 * One Redis URL, three deployments: a single server, a Redis Cluster, or a master watched by Sentinel. The
 * URL says which, so one setting (`redisUrl`, `REDIS_URL`) moves an app from one to another:
 *
 *   redis://[user:password@]host:6379[/db]                        one server (rediss:// for TLS)
 *   redis://[user:password@]host1:7000,host2:7000,host3:7000      a Cluster, given several seed nodes
 *   redis+cluster://[user:password@]host:7000                     a Cluster, given one seed node
 *   redis+sentinel://[user:password@]s1:26379,s2:26379/mymaster[/db][?sentinelPassword=…]
 *                                                                 the master Sentinel names "mymaster"
 *
 * A leaf module, without dependencies (celeriac/states exports it to client code; the settings check URLs with it);
 * redis-connection.ts opens what it names.
 */
import { redactUrl } from "../url.js";

export interface RedisNode {
  host: string;
  port: number;
}

export type RedisTarget =
  | { kind: "server"; url: string }
  | { kind: "cluster"; nodes: RedisNode[]; auth: Auth; tls: boolean }
  | { kind: "sentinel"; sentinels: RedisNode[]; name: string; db: number; auth: Auth; sentinelPassword?: string; tls: boolean };

interface Auth {
  username?: string;
  password?: string;
}

export class RedisUrlError extends Error {
  override name = "RedisUrlError";
}

/** The user part ends at the last `@` before the hosts, as WHATWG URLs do: a password may hold `@` or `/`. */
const URL_FORM = /^(rediss?)(\+cluster|\+sentinel)?:\/\/(?:(.*)@)?([^@/?#]*)(\/[^?#@]*)?(\?[^#@]*)?$/;

/** What a Redis URL names; throws RedisUrlError (with the accepted forms) on anything else. */
export function parseRedisUrl(url: string): RedisTarget {
  const m = URL_FORM.exec(url);
  if (!m) throw new RedisUrlError(`not a Redis URL: ${redactUrl(url)} (expected redis://host:port, redis://host1:port,host2:port for a Cluster, or redis+sentinel://host:port,…/masterName)`);
  const [, scheme, mode, userinfo, hostList, path = "", query = ""] = m;
  const tls = scheme === "rediss";
  const nodes = hostList.split(",").map((h) => parseNode(h, mode === "+sentinel" ? 26379 : 6379, url));
  const auth = parseAuth(userinfo);
  if (mode === "+sentinel") {
    const [name, db, ...rest] = path.split("/").slice(1);
    if (!name || rest.length > 0) throw new RedisUrlError(`a Sentinel URL names its master after the hosts: redis+sentinel://host:26379,…/masterName[/db], not ${redactUrl(url)}`);
    const sentinelPassword = new URLSearchParams(query.slice(1)).get("sentinelPassword") ?? undefined;
    return { kind: "sentinel", sentinels: nodes, name: decodeURIComponent(name), db: parseDb(db, url), auth, sentinelPassword, tls };
  }
  if (mode === "+cluster" || nodes.length > 1) {
    if (path.replace(/^\//, "") !== "" && path !== "/0") throw new RedisUrlError(`a Redis Cluster has only database 0: ${redactUrl(url)}`);
    return { kind: "cluster", nodes, auth, tls };
  }
  return { kind: "server", url };
}

function parseNode(text: string, defaultPort: number, url: string): RedisNode {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) throw new RedisUrlError(`not a host[:port] list in ${redactUrl(url)}`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) throw new RedisUrlError(`port out of range in ${redactUrl(url)}: ${port}`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

function parseAuth(userinfo: string | undefined): Auth {
  if (!userinfo) return {};
  const sep = userinfo.indexOf(":");
  const username = decodeURIComponent(sep < 0 ? userinfo : userinfo.slice(0, sep));
  const password = sep < 0 ? undefined : decodeURIComponent(userinfo.slice(sep + 1));
  // redis://:password@host is the usual form without a user (Redis' "default" user).
  return { ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

function parseDb(text: string | undefined, url: string): number {
  if (text === undefined || text === "") return 0;
  if (!/^\d{1,2}$/.test(text)) throw new RedisUrlError(`not a database number in ${redactUrl(url)}: "${text}"`);
  return Number(text);
}

/** Why parseRedisUrl refuses a URL (its message), or undefined when it takes it: for the settings' checks. */
export function redisUrlProblem(url: string): string | undefined {
  try {
    parseRedisUrl(url);
    return undefined;
  } catch (error) {
    if (error instanceof RedisUrlError) return error.message;
    throw error;
  }
}
