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

const issuer = "agora-gateway";
const audience = "agora-subgraphs";
const algorithm = "HS256";

const key = (secret: string) => new TextEncoder().encode(secret);

export async function signIdentity(identity: Identity, secret: string, ttlSeconds = 60): Promise<string> {
  return new SignJWT({ role: identity.role })
    .setProtectedHeader({ alg: algorithm })
    .setSubject(identity.userId)
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key(secret));
}

/** Returns the identity in the header, null when there is none, and throws UNAUTHENTICATED when it is not valid. */
export async function verifyIdentityHeader(header: string | undefined | null, secret: string): Promise<Identity | null> {
  if (!header) return null;
  try {
    const { payload } = await jwtVerify(header, key(secret), { issuer, audience, algorithms: [algorithm] });
    const role = payload.role;
    if (typeof payload.sub !== "string" || !roles.includes(role as Role)) throw unauthenticated("The forwarded identity is malformed.");
    return { userId: payload.sub, role: role as Role };
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw unauthenticated("The forwarded identity could not be verified.");
    throw error;
  }
}

export function requireIdentity(identity: Identity | null): Identity {
  if (!identity) throw unauthenticated();
  return identity;
}

export const isAdmin = (identity: Identity | null) => identity?.role === "ADMIN";
export const isModerator = (identity: Identity | null) => identity?.role === "MODERATOR" || identity?.role === "ADMIN";
