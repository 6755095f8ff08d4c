/** Who the client is, by socket peer and forwarding headers (gateway/src/context.ts). */
import type { IncomingMessage } from "node:http";
import { clientIpResolver } from "../../src/context.js";

const request = (remoteAddress: string, headers: Record<string, string> = {}) =>
  ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe("client IP", () => {
  it("is the socket's peer when no proxy is trusted (the default), whatever the headers say", () => {
    const resolve = clientIpResolver([]);
    expect(resolve(request("203.0.113.7", { "x-forwarded-for": "198.51.100.1", forwarded: "for=198.51.100.2" }))).toBe("203.0.113.7");
    expect(resolve(request("::ffff:203.0.113.7"))).toBe("203.0.113.7");
  });

  it("ignores forwarding headers from a peer that is not a trusted proxy", () => {
    const resolve = clientIpResolver(["127.0.0.1"]);
    expect(resolve(request("203.0.113.7", { "x-forwarded-for": "198.51.100.1" }))).toBe("203.0.113.7");
  });

  it("takes the nearest untrusted hop of X-Forwarded-For from a trusted proxy", () => {
    const resolve = clientIpResolver(["127.0.0.1", "10.0.0.0/8"]);
    expect(resolve(request("127.0.0.1", { "x-forwarded-for": "198.51.100.1" }))).toBe("198.51.100.1");
    // The client wrote the first two entries; HAProxy appended the real one, then an inner proxy its own.
    expect(resolve(request("::ffff:127.0.0.1", { "x-forwarded-for": "1.1.1.1, 2.2.2.2, 198.51.100.1, 10.1.2.3" }))).toBe("198.51.100.1");
    // Without the header, the proxy itself is the client.
    expect(resolve(request("127.0.0.1"))).toBe("127.0.0.1");
  });

  it("reads RFC 7239 Forwarded, quoted IPv6 with ports included, when the proxies set that header", () => {
    const resolve = clientIpResolver(["127.0.0.1", "::1"], "forwarded");
    expect(resolve(request("::1", { forwarded: 'for=1.1.1.1, for="[2001:DB8::17]:4711";proto=https', "x-forwarded-for": "9.9.9.9" }))).toBe(
      "2001:db8::17",
    );
    expect(resolve(request("127.0.0.1", { forwarded: "for=198.51.100.4:8080;by=127.0.0.1" }))).toBe("198.51.100.4");
  });

  it("reads only the header the proxies set: a client's own Forwarded passes an X-Forwarded-For proxy untouched", () => {
    const resolve = clientIpResolver(["127.0.0.1"]);
    expect(resolve(request("127.0.0.1", { forwarded: "for=198.51.100.66", "x-forwarded-for": "198.51.100.66, 203.0.113.5" }))).toBe(
      "203.0.113.5",
    );
  });

  it("stops at a hop it cannot read instead of believing what lies beyond it", () => {
    expect(clientIpResolver(["127.0.0.1"], "forwarded")(request("127.0.0.1", { forwarded: "for=198.51.100.9, for=_hidden" }))).toBe(
      "127.0.0.1",
    );
    const resolve = clientIpResolver(["127.0.0.1"]);
    expect(resolve(request("127.0.0.1", { "x-forwarded-for": "198.51.100.9, not-an-ip" }))).toBe("127.0.0.1");
  });

  it("refuses a TRUSTED_PROXIES entry that is not an address", () => {
    expect(() => clientIpResolver(["haproxy.local"])).toThrow('TRUSTED_PROXIES: "haproxy.local" is not an IP address or CIDR range.');
  });
});
