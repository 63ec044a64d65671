import type { LookupAddress } from "node:dns";
import { describe, expect, it } from "vitest";
import { addressProblem, BlockedAddressError, guardedLookup, urlProblem } from "./ssrf-guard";

describe("addressProblem", () => {
  it.each([
    ["127.0.0.1", "a loopback address"],
    ["127.255.0.9", "a loopback address"],
    ["10.1.2.3", "a private address"],
    ["172.16.0.1", "a private address"],
    ["172.31.255.255", "a private address"],
    ["192.168.1.1", "a private address"],
    ["169.254.169.254", "a link-local address"],
    ["100.64.0.1", "a carrier-grade NAT address"],
    ["100.127.255.254", "a carrier-grade NAT address"],
    ["0.0.0.0", `a "this network" address`],
    ["0.1.2.3", `a "this network" address`],
    ["224.0.0.1", "a multicast address"],
    ["239.255.255.250", "a multicast address"],
    ["240.0.0.1", "a reserved address"],
    ["255.255.255.255", "a reserved address"],
    ["::1", "a loopback address"],
    ["::", "the unspecified address"],
    ["fc00::1", "a unique local (private) address"],
    ["fd12:3456::1", "a unique local (private) address"],
    ["fe80::1", "a link-local address"],
    ["febf::1", "a link-local address"],
    ["ff02::1", "a multicast address"],
    ["[::1]", "a loopback address"],
  ])("refuses %s (%s)", (ip, what) => {
    expect(addressProblem(ip)).toContain(`${ip} is ${what}`);
  });

  it.each([
    ["::ffff:127.0.0.1", "127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "127.0.0.1", "loopback"],
    ["::ffff:a9fe:a9fe", "169.254.169.254", "link-local"],
    ["::ffff:10.0.0.1", "10.0.0.1", "private"],
    ["::127.0.0.1", "127.0.0.1", "loopback"],
    ["64:ff9b::a00:1", "10.0.0.1", "private"],
    ["2002:c0a8:101::1", "192.168.1.1", "private"],
  ])("refuses %s, which embeds %s", (ip, v4, what) => {
    expect(addressProblem(ip)).toMatch(new RegExp(`${what}.*\\(${v4.replace(/\./g, "\\.")}\\)$`));
  });

  it.each(["93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "192.169.0.1", "169.255.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"])(
    "lets %s through",
    (ip) => expect(addressProblem(ip)).toBeNull(),
  );

  it("lets private and loopback addresses through when allowed, never a non-address", () => {
    expect(addressProblem("127.0.0.1", { allowPrivate: true })).toBeNull();
    expect(addressProblem("::1", { allowPrivate: true })).toBeNull();
    expect(addressProblem("example.com", { allowPrivate: true })).toBe("example.com is not an IP address");
  });
});

describe("urlProblem", () => {
  const problem = (text: string, allowPrivate = false) => urlProblem(new URL(text), { allowPrivate });

  // The WHATWG parser canonicalises each spelling before the check sees it.
  it.each([
    ["http://127.1/", "127.0.0.1 is a loopback address"],
    ["http://2130706433/", "127.0.0.1 is a loopback address"],
    ["http://0x7f.0.0.1/", "127.0.0.1 is a loopback address"],
    ["http://0177.0.0.1/", "127.0.0.1 is a loopback address"],
    ["http://[::1]:3000/", "[::1] is a loopback address"],
    ["http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1] is a loopback address (127.0.0.1)"],
    ["http://[0:0:0:0:0:ffff:169.254.169.254]/latest/meta-data", "[::ffff:a9fe:a9fe] is a link-local address (cloud metadata lives there) (169.254.169.254)"],
    ["http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address (cloud metadata lives there)"],
    ["http://0/", `0.0.0.0 is a "this network" address`],
    ["https://10.0.0.1:8443/admin", "10.0.0.1 is a private address"],
  ])("%s: %s", (url, message) => {
    expect(problem(url)).toBe(message);
  });

  it("refuses other schemes", () => {
    expect(problem("file:///etc/passwd")).toBe("only http and https URLs are fetched, not file");
    expect(problem("ftp://example.com/")).toBe("only http and https URLs are fetched, not ftp");
    expect(problem("gopher://127.0.0.1:6379/_INFO")).toBe("only http and https URLs are fetched, not gopher");
  });

  it("refuses a URL with credentials, whichever host it reads as", () => {
    expect(problem("http://user:secret@example.com/")).toBe("a URL with a user name or password is not fetched");
    // Reads as 127.0.0.1 to a person, as evil.example to the parser: refused before either matters.
    expect(problem("http://127.0.0.1@evil.example/")).toBe("a URL with a user name or password is not fetched");
    expect(problem("http://evil.example@127.0.0.1/")).toBe("a URL with a user name or password is not fetched");
  });

  it("leaves a host name to the lookup, and lets a public address through", () => {
    expect(problem("http://localhost:3000/")).toBeNull();
    expect(problem("https://example.com/page?q=1")).toBeNull();
    expect(problem("http://8.8.8.8/")).toBeNull();
  });

  it("lets a loopback literal through when private hosts are allowed, but still no credentials", () => {
    expect(problem("http://127.0.0.1:3000/sample-page.html", true)).toBeNull();
    expect(problem("http://u:p@127.0.0.1/", true)).toBe("a URL with a user name or password is not fetched");
  });
});

describe("guardedLookup", () => {
  type Answer = { error: NodeJS.ErrnoException | null; address: unknown; family?: number };

  function lookUp(host: string, options: { all?: boolean; family?: number }, settings: Parameters<typeof guardedLookup>[0] = {}): Promise<Answer> {
    return new Promise((resolve) => {
      guardedLookup(settings)(host, options as never, ((error: NodeJS.ErrnoException | null, address: unknown, family?: number) => resolve({ error, address, family })) as never);
    });
  }

  const fixed = (addresses: LookupAddress[]) => (_host: string, callback: (e: null, a: LookupAddress[]) => void) => callback(null, addresses);

  it("refuses localhost, resolved by the system's own resolver", async () => {
    const { error } = await lookUp("localhost", { all: true });
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error!.message).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address$/);
  });

  it("hands over the checked addresses, as the socket asked for them, when allowed", async () => {
    const all = await lookUp("localhost", { all: true }, { allowPrivate: true });
    expect(all.error).toBeNull();
    expect(all.address).toEqual(expect.arrayContaining([expect.objectContaining({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) })]));
    const one = await lookUp("localhost", { family: 4 }, { allowPrivate: true });
    expect(one).toEqual({ error: null, address: "127.0.0.1", family: 4 });
  });

  it("refuses a name when any of its addresses is refused (a public one beside it does not help)", async () => {
    const resolve = fixed([{ address: "93.184.215.14", family: 4 }, { address: "10.0.0.7", family: 4 }]);
    const { error } = await lookUp("mixed.example", { all: true }, { resolve });
    expect(error?.message).toBe("mixed.example resolves to 10.0.0.7, a private address");
  });

  it("passes a public name's addresses on unchanged, the connection goes to them", async () => {
    const addresses = [{ address: "2606:4700::1111", family: 6 }, { address: "93.184.215.14", family: 4 }];
    expect(await lookUp("public.example", { all: true }, { resolve: fixed(addresses) })).toMatchObject({ error: null, address: addresses });
    expect(await lookUp("public.example", { family: 4 }, { resolve: fixed(addresses) })).toEqual({ error: null, address: "93.184.215.14", family: 4 });
  });

  it("passes a resolver's failure on", async () => {
    const { error } = await lookUp("no-such-host.invalid", {});
    expect(error?.code).toBe("ENOTFOUND");
  });
});
