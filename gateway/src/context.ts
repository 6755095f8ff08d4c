import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import {
  currentRequestId,
  requestIdOf,
  unauthenticated,
  verifyAccessToken,
  type AccessTokenSettings,
  type Identity,
} from "@agora/platform";

export interface GatewayContext {
  identity: Identity | null;
  requestId: string;
  /** The client's address: the socket's peer, or what trusted proxies say it is (see `clientIpResolver`). */
  clientIp: string;
  /** Filled lazily by AuthenticatedDataSource: the identity JWT sent to subgraphs. */
  signedIdentity?: Promise<string>;
  /** Filled lazily by AuthenticatedDataSource: the signed client address and request id sent to subgraphs. */
  signedOrigin?: string;
  /**
   * The gateway's own execution of a subscription payload, not a client request: the socket was
   * limited when it subscribed (subscriptions/), so the rate limiter does not charge each event.
   */
  internal?: boolean;
}

/** Reads `Authorization: Bearer <access token>`; no header means anonymous, a bad token is refused. */
export async function identityFromRequest(req: IncomingMessage, settings: AccessTokenSettings): Promise<Identity | null> {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <access token>".');
  return verifyAccessToken(match[1], settings);
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) is 127.0.0.1. */
function normaliseIp(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped?.[1] ?? address).toLowerCase();
}

/** One `for=` value of RFC 7239 `Forwarded` (`for=192.0.2.1`, `for="[2001:db8::1]:4711"`), or an X-Forwarded-For entry. */
function addressOf(value: string): string | null {
  let text = value.trim().replace(/^"|"$/g, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1]) text = bracketed[1];
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(":"));
  return isIP(text) ? normaliseIp(text) : null;
}

export type ForwardingHeader = "x-forwarded-for" | "forwarded";

/** The hops a request went through, nearest last, from the one header the proxies are known to set. */
function forwardedChain(req: IncomingMessage, header: ForwardingHeader): (string | null)[] {
  const value = req.headers[header];
  const text = Array.isArray(value) ? value.join(",") : value;
  if (!text) return [];
  if (header === "x-forwarded-for") return text.split(",").map(addressOf);
  return text.split(",").map((element) => addressOf(/(?:^|;)\s*for=("[^"]*"|[^;,\s]*)/i.exec(element)?.[1] ?? ""));
}

/**
 * Builds the function that says who the client is. Forwarding headers are believed only when the
 * peer that sent them is a trusted proxy, and then only back to the first hop that is not itself a
 * trusted proxy: anything a client writes into those headers lies further left and is never read,
 * so a spoofed header buys no fresh rate-limit budget. Only `header` is read, the one the proxies
 * set: a proxy that sets X-Forwarded-For passes a client's own `Forwarded` through untouched, so
 * reading both would let the client choose. With no trusted proxies (the default) the socket's
 * address is the client.
 */
export function clientIpResolver(
  trustedProxies: readonly string[],
  header: ForwardingHeader = "x-forwarded-for",
): (req: IncomingMessage) => string {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address = "", prefix] = entry.split("/");
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (!isIP(address)) throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range.`);
    if (prefix === undefined) trusted.addAddress(normaliseIp(address), family);
    else trusted.addSubnet(normaliseIp(address), Number(prefix), family);
  }
  const isTrusted = (ip: string) => trusted.check(ip, isIP(ip) === 6 ? "ipv6" : "ipv4");
  return (req) => {
    let client = normaliseIp(req.socket.remoteAddress ?? "unknown");
    if (trustedProxies.length === 0 || !isIP(client) || !isTrusted(client)) return client;
    const chain = forwardedChain(req, header);
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = chain[i];
      // An unreadable hop ends the walk: what lies to its left cannot be vouched for.
      if (!hop) return client;
      client = hop;
      if (!isTrusted(hop)) return client;
    }
    return client;
  };
}

export async function createGatewayContext(
  req: IncomingMessage,
  settings: AccessTokenSettings,
  clientIp: (req: IncomingMessage) => string = clientIpResolver([]),
): Promise<GatewayContext> {
  // The listener's request scope already chose it (the caller's x-request-id, else a new one), so
  // log lines and subgraph calls carry the same id.
  const requestId = currentRequestId() ?? requestIdOf(req);
  return { identity: await identityFromRequest(req, settings), requestId, clientIp: clientIp(req) };
}
