/**
 * Where a request came from, as the gateway saw it: the client IP it trusts (TRUSTED_PROXIES) and
 * its request id, sent to every subgraph in `x-agora-origin`, signed with INTERNAL_SECRET like the
 * forwarded identity. Unlike the identity it travels for anonymous callers too (a failed sign-in
 * is anonymous), and it is an HMAC rather than a JWT: it is made once per client request and read
 * on every subgraph call, so it stays a few microseconds. A client cannot forge it (the gateway
 * drops client headers of that name, a subgraph refuses a signature it cannot verify and then
 * believes only the socket's peer address), and a captured value expires after `ttlSeconds`.
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export const requestOriginHeader = "x-agora-origin";

export interface RequestOrigin {
  clientIp: string;
  requestId: string;
}

const mac = (payload: string, secret: string) => createHmac("sha256", secret).update(`agora-origin.${payload}`).digest("base64url");

/** `<base64url JSON {ip, rid, exp}>.<HMAC-SHA256>`. */
export function signRequestOrigin(origin: RequestOrigin, secret: string, ttlSeconds = 60, now = Date.now()): string {
  const payload = Buffer.from(
    JSON.stringify({ ip: origin.clientIp, rid: origin.requestId, exp: Math.floor(now / 1000) + ttlSeconds }),
  ).toString("base64url");
  return `${payload}.${mac(payload, secret)}`;
}

/** The origin in the header; null when there is none, it is not signed with `secret`, or it expired. */
export function verifyRequestOrigin(header: string | string[] | undefined | null, secret: string, now = Date.now()): RequestOrigin | null {
  if (typeof header !== "string") return null;
  const dot = header.indexOf(".");
  if (dot <= 0) return null;
  const payload = header.slice(0, dot);
  const given = Buffer.from(header.slice(dot + 1));
  const expected = Buffer.from(mac(payload, secret));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const { ip, rid, exp } = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
    if (typeof ip !== "string" || typeof rid !== "string" || typeof exp !== "number" || exp * 1000 < now) return null;
    return { clientIp: ip, requestId: rid };
  } catch {
    return null;
  }
}

/** `::ffff:127.0.0.1` is 127.0.0.1, as the gateway writes it. */
const peerAddress = (req: IncomingMessage) => req.socket.remoteAddress?.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1") ?? null;

/**
 * Where a request a service received came from: the gateway's signed origin, else (a direct caller,
 * or a signature that does not verify) the socket's peer and the caller's own `x-request-id`.
 */
export function originOfRequest(req: IncomingMessage, secret: string): { clientIp: string | null; requestId: string } {
  const origin = verifyRequestOrigin(req.headers[requestOriginHeader], secret);
  if (origin) return origin;
  const own = req.headers["x-request-id"];
  return { clientIp: peerAddress(req), requestId: typeof own === "string" && own ? own.slice(0, 100) : randomUUID() };
}
