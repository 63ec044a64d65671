/**
 * The client's IP address, for per-IP limits (lib/login-limit.ts). A route handler gets a fetch Request, which
 * has no socket: lib/server-boot.ts writes the socket's remote address into CLIENT_ADDRESS_HEADER on every
 * request before Next sees it, overwriting whatever a client sent under that name, so the header is the socket
 * address and nothing else. (Next's own X-Forwarded-For is no substitute: Next sets it from the socket only when
 * the request has none, so a client that sends one chooses it.)
 *
 * X-Forwarded-For is believed only when TRUST_PROXY says how many reverse proxies stand in front of the app
 * (Express's "trust proxy" hop count): each appends the address it received the request from, so with n of
 * them the n-th entry from the right is the one the outermost proxy saw; entries left of it are the client's
 * to invent. Without TRUST_PROXY, behind a proxy every client has the proxy's address.
 *
 * Addresses are bucketed as a limiter should count them: an IPv4-mapped IPv6 address is its IPv4 address, and
 * an IPv6 address is its /64 (one host is routinely given a whole /64, so counting single addresses would give
 * an attacker 2^64 of them).
 */
import { isIP } from "node:net";

/** Set by lib/server-boot.ts to the socket's remote address; never the client's to choose. */
export const CLIENT_ADDRESS_HEADER = "x-celeriac-client-address";

/** What a request whose address is unknown (no server-boot in front of the handler) is counted as. */
export const UNKNOWN_ADDRESS = "unknown";

/** The eight 16-bit groups of an IPv6 address (zone id dropped, an embedded dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.split("%")[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split(".").map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const parse = (part: string | undefined) => (part ? part.split(":").map((group) => parseInt(group, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const groups = tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff) ? groups : undefined;
}

/**
 * The bucket an address is counted in: an IPv4 address as itself, an IPv4-mapped IPv6 one as its IPv4 address,
 * another IPv6 one as its /64 ("2001:db8:1:2::/64"); undefined when `text` is no IP address.
 */
export function addressBucket(text: string): string | undefined {
  const address = text.trim().replace(/^\[(.*)\]$/, "$1");
  const version = isIP(address.split("%")[0]);
  if (version === 4) return address;
  if (version !== 6) return undefined;
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join(".");
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(":")}::/64`;
}

/**
 * The client address `request` is counted under: the socket's (CLIENT_ADDRESS_HEADER), or with `trustProxy`
 * = n > 0 the n-th X-Forwarded-For entry from the right (the leftmost when there are fewer), bucketed by
 * addressBucket(). A forwarded entry that is no IP address falls back to the socket's; no address at all is
 * UNKNOWN_ADDRESS, one bucket for all such requests.
 */
export function clientAddress(request: Request, trustProxy: number): string {
  const socket = addressBucket(request.headers.get(CLIENT_ADDRESS_HEADER) ?? "");
  if (trustProxy > 0) {
    const forwarded = (request.headers.get("x-forwarded-for") ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
    if (forwarded.length > 0) {
      const entry = addressBucket(forwarded[Math.max(0, forwarded.length - trustProxy)]);
      if (entry) return entry;
    }
  }
  return socket ?? UNKNOWN_ADDRESS;
}
