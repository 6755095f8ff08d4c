/**
 * Client access tokens: short-lived JWTs issued by the users subgraph and verified by the gateway.
 * The algorithm is pinned (HS256) so `alg: none` and algorithm-confusion tokens are refused; issuer
 * and audience are checked.
 */
import { errors as joseErrors } from "jose";
import { z } from "zod";
import { unauthenticated } from "./errors.js";
import { devSecret, minimumSecretLength } from "./secret-policy.js";
import { signIdentityJwt, verifyIdentityJwt, type Identity, type IdentityJwtSettings } from "./identity.js";

export const accessTokenEnv = {
  JWT_SECRET: z.string().min(minimumSecretLength, `must be at least ${minimumSecretLength} characters`).default(devSecret),
  JWT_ISSUER: z.string().default("agora-users"),
  JWT_AUDIENCE: z.string().default("agora-api"),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
};

export type AccessTokenSettings = IdentityJwtSettings;

export function accessTokenSettings(config: {
  JWT_SECRET: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  ACCESS_TOKEN_TTL_SECONDS: number;
}): AccessTokenSettings {
  return {
    secret: config.JWT_SECRET,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  };
}

/** Signed with the shared identity-JWT code (HS256 pinned; issuer and audience checked). */
export async function issueAccessToken(identity: Identity, settings: AccessTokenSettings): Promise<string> {
  return signIdentityJwt(identity, settings);
}

/** Verifies a bearer token; throws UNAUTHENTICATED with a message saying what is wrong. */
export async function verifyAccessToken(token: string, settings: AccessTokenSettings): Promise<Identity> {
  let identity: Identity | null;
  try {
    identity = await verifyIdentityJwt(token, settings);
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthenticated("The access token has expired; use refreshToken to get a new one.");
    if (error instanceof joseErrors.JOSEError) throw unauthenticated("The access token is not valid.");
    throw error;
  }
  if (!identity) throw unauthenticated("The access token is malformed.");
  return identity;
}
