/**
 * How the caller's identity travels from the gateway to the subgraphs.
 *
 * The gateway verifies the client's access token, then sends each subgraph a short-lived JWT of
 * its own in the `x-agora-identity` header, signed with INTERNAL_SECRET, which only the gateway
 * and the subgraphs hold. A client cannot forge it: the gateway never forwards client headers of
 * that name, and a subgraph called directly rejects any identity header it cannot verify.
 */
import { jwtVerify, SignJWT, errors as joseErrors } from "jose";
import { unauthenticated } from "./errors.js";

export const identityHeader = "x-agora-identity";
export const roles = ["USER", "MODERATOR", "ADMIN"] as const;
export type Role = (typeof roles)[number];

export interface Identity {
  userId: string;
  role: Role;
}

/** Where an identity JWT comes from and is good for; both kinds (access tokens, forwarded identity) use it. */
export interface IdentityJwtSettings {
  secret: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** HS256 only: pinned on verify, so `alg: none` and algorithm-confusion tokens are refused. */
const algorithm = "HS256";
const key = (secret: string) => new TextEncoder().encode(secret);

/** Signs `{ sub: userId, role }` for `settings.ttlSeconds`. */
export async function signIdentityJwt(identity: Identity, settings: IdentityJwtSettings): Promise<string> {
  return new SignJWT({ role: identity.role })
    .setProtectedHeader({ alg: algorithm, typ: "JWT" })
    .setSubject(identity.userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${settings.ttlSeconds}s`)
    .sign(key(settings.secret));
}

/**
 * Verifies signature, algorithm, issuer, audience and expiry (jose's errors are thrown as they are),
 * then reads the identity; null when the claims are not one.
 */
export async function verifyIdentityJwt(token: string, settings: Omit<IdentityJwtSettings, "ttlSeconds">): Promise<Identity | null> {
  const { payload } = await jwtVerify(token, key(settings.secret), {
    issuer: settings.issuer,
    audience: settings.audience,
    algorithms: [algorithm],
  });
  if (typeof payload.sub !== "string" || !roles.includes(payload.role as Role)) return null;
  return { userId: payload.sub, role: payload.role as Role };
}

const forwarded = { issuer: "agora-gateway", audience: "agora-subgraphs" };

export async function signIdentity(identity: Identity, secret: string, ttlSeconds = 60): Promise<string> {
  return signIdentityJwt(identity, { ...forwarded, secret, ttlSeconds });
}

/** Returns the identity in the header, null when there is none, and throws UNAUTHENTICATED when it is not valid. */
export async function verifyIdentityHeader(header: string | undefined | null, secret: string): Promise<Identity | null> {
  if (!header) return null;
  let identity: Identity | null;
  try {
    identity = await verifyIdentityJwt(header, { ...forwarded, secret });
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw unauthenticated("The forwarded identity could not be verified.");
    throw error;
  }
  if (!identity) throw unauthenticated("The forwarded identity is malformed.");
  return identity;
}

export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw unauthenticated();
  return identity;
}

export const isAdmin = (identity: Identity | null) => identity?.role === "ADMIN";
export const isModerator = (identity: Identity | null) => identity?.role === "MODERATOR" || identity?.role === "ADMIN";
