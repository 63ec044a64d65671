/**
 * The page demo's guard against server-side request forgery: a URL a visitor typed is fetched by the
 * worker, inside the network the app runs in, so it must not reach what only that network can (the cloud's
 * metadata service at 169.254.169.254, a database's admin port on 10.0.0.5, the worker's own loopback).
 *
 *   urlProblem(url)        only http and https, no user name or password, a literal IP checked here
 *   addressProblem(ip)     loopback, private, link-local, CGNAT, "this network", multicast, reserved, and
 *                          IPv6's ::1, fc00::/7, fe80::/10 and every form that embeds an IPv4 address
 *                          (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::/96 NAT64, 2002::/16 6to4) by that address
 *   guardedLookup(...)     http.request's `lookup`: resolves a name (dns.lookup, every address), refuses
 *                          it if any address is refused, and hands the checked addresses to the socket, so
 *                          the address connected to is the address checked (no DNS rebinding in between)
 *
 * The WHATWG URL parser has already turned 127.1, 2130706433, 0x7f.0.0.1 and [::ffff:127.0.0.1] into
 * canonical addresses, so every spelling meets the same check. `allowPrivate` (PAGES_ALLOW_PRIVATE_HOSTS)
 * lets private and loopback addresses through, for the tests and `npm run dev`, which fetch the app's own page.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/** A URL or address the guard refuses: the task fails at once (no retry: it would be refused again). */
export class BlockedAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlockedAddressError";
  }
}

type Family = "ipv4" | "ipv6";

/** Ranges by what they are (the refusal names it), IANA's special-purpose registries, the parts that matter here. */
const RANGES: readonly { what: string; family: Family; subnets: readonly [string, number][] }[] = [
  { what: "a loopback address", family: "ipv4", subnets: [["127.0.0.0", 8]] },
  { what: "a private address", family: "ipv4", subnets: [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16]] },
  { what: "a link-local address (cloud metadata lives there)", family: "ipv4", subnets: [["169.254.0.0", 16]] },
  { what: "a carrier-grade NAT address", family: "ipv4", subnets: [["100.64.0.0", 10]] },
  { what: `a "this network" address`, family: "ipv4", subnets: [["0.0.0.0", 8]] },
  { what: "a multicast address", family: "ipv4", subnets: [["224.0.0.0", 4]] },
  // IETF protocol assignments, benchmarking, and the reserved 240/4 (the broadcast address included).
  { what: "a reserved address", family: "ipv4", subnets: [["192.0.0.0", 24], ["198.18.0.0", 15], ["240.0.0.0", 4]] },
  { what: "a loopback address", family: "ipv6", subnets: [["::1", 128]] },
  { what: "the unspecified address", family: "ipv6", subnets: [["::", 128]] },
  { what: "a unique local (private) address", family: "ipv6", subnets: [["fc00::", 7]] },
  { what: "a link-local address", family: "ipv6", subnets: [["fe80::", 10], ["fec0::", 10]] },
  { what: "a multicast address", family: "ipv6", subnets: [["ff00::", 8]] },
];

const LISTS = RANGES.map(({ what, family, subnets }) => {
  const list = new BlockList();
  for (const [network, prefix] of subnets) list.addSubnet(network, prefix, family);
  return { what, family, list };
});

/** The eight 16-bit groups of an IPv6 address (one isIP() accepted), a trailing dotted quad included. */
function groupsOf(ip: string): number[] {
  const [head, tail = ""] = ip.includes("::") ? ip.split("::") : [ip];
  const part = (text: string) =>
    text === ""
      ? []
      : text.split(":").flatMap((g) => {
          if (!g.includes(".")) return [parseInt(g, 16)];
          const [a, b, c, d] = g.split(".").map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = part(head!);
  const right = part(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

const dotted = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");

/** The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), or undefined. */
function embeddedIPv4(ip: string): string | undefined {
  const g = groupsOf(ip);
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return dotted(g[6]!, g[7]!); // ::ffff:a.b.c.d (mapped)
  if (zeros(0, 6) && (g[6]! | g[7]!) !== 0 && !(g[6] === 0 && g[7] === 1)) return dotted(g[6]!, g[7]!); // ::a.b.c.d (compatible; not :: or ::1)
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return dotted(g[6]!, g[7]!); // 64:ff9b::a.b.c.d (NAT64)
  if (g[0] === 0x2002) return dotted(g[1]!, g[2]!); // 2002:aabb:ccdd::/48 (6to4)
  return undefined;
}

/** What refused range `address` (an isIP() address) is in ("a loopback address", "a private address (10.0.0.1)"), or null. */
function refusedRange(address: string): string | null {
  const v4 = isIP(address) === 6 ? embeddedIPv4(address) : address;
  const found = v4 ? LISTS.find((r) => r.family === "ipv4" && r.list.check(v4, "ipv4")) : LISTS.find((r) => r.family === "ipv6" && r.list.check(address, "ipv6"));
  return found ? `${found.what}${v4 && v4 !== address ? ` (${v4})` : ""}` : null;
}

/**
 * Why the guard refuses to connect to `ip` ("127.0.0.1 is a loopback address"), or null when it may.
 * `ip` is an address as dns.lookup gives it or a URL's hostname holds it (brackets allowed).
 */
export function addressProblem(ip: string, { allowPrivate = false } = {}): string | null {
  const address = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  if (isIP(address) === 0) return `${ip} is not an IP address`;
  const range = allowPrivate ? null : refusedRange(address);
  return range && `${ip} is ${range}`;
}

/**
 * Why the guard refuses `url` before any lookup, or null: a scheme other than http/https, credentials in
 * it (http://user:pass@host: a trick to make a URL read as another host, and a secret the results would
 * keep), no host, or a literal IP address that addressProblem() refuses. A host name is checked when it
 * is resolved (guardedLookup).
 */
export function urlProblem(url: URL, options: { allowPrivate?: boolean } = {}): string | null {
  if (url.protocol !== "http:" && url.protocol !== "https:") return `only http and https URLs are fetched, not ${url.protocol.slice(0, -1)}`;
  if (url.username || url.password) return "a URL with a user name or password is not fetched";
  if (!url.hostname) return "the URL has no host";
  const literal = url.hostname.startsWith("[") || isIP(url.hostname) !== 0;
  return literal ? addressProblem(url.hostname, options) : null;
}

type Resolve = (host: string, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const resolveAll: Resolve = (host, callback) => dnsLookup(host, { all: true, verbatim: true }, callback);

/**
 * A `lookup` for http.request / net.connect that resolves every address of the host and refuses the host
 * when any of them is refused (a name with one public and one private address could be steered to the
 * private one). The socket connects to the addresses returned, which are the ones checked.
 */
export function guardedLookup({ allowPrivate = false, resolve = resolveAll }: { allowPrivate?: boolean; resolve?: Resolve } = {}): LookupFunction {
  return (host, options, callback) => {
    resolve(host, (error, addresses) => {
      if (error) return callback(error, "", 0);
      const refused = allowPrivate ? undefined : addresses.find((a) => refusedRange(a.address) !== null);
      if (refused) return callback(new BlockedAddressError(`${host} resolves to ${refused.address}, ${refusedRange(refused.address)}`), "", 0);
      const usable = options.family ? addresses.filter((a) => a.family === options.family) : addresses;
      if (!usable.length) return callback(Object.assign(new Error(`${host} has no IPv${options.family} address`), { code: "ENOTFOUND" }), "", 0);
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, usable);
      callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
}
