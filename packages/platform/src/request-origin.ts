/**
 * Where a request came from, as the gateway saw it: the client IP it trusts (TRUSTED_PROXIES) and
 * its request id, sent to every subgraph in `x-agora-origin`, signed with INTERNAL_SECRET like the
 * forwarded identity. Unlike the identity it travels for anonymous callers too (a failed sign-in
 * is anonymous), and it is an HMAC rather than a JWT: it is made once per client request and read
 * on every subgraph call, so it stays a few microseconds. A client cannot forge it (the gateway
 * drops client headers of that name, a subgraph refuses a signature it cannot verify and then
 * believes only the socket's peer address), and a captured value expires after `ttlSeconds`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

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
