/**
 * Who a socket speaks for: the access token in graphql-ws's `connectionParams`
 * (`{ Authorization: "Bearer <token>" }`, `{ authorization }` or `{ accessToken }`), verified with
 * the same settings as HTTP requests. No token: an anonymous socket (it may subscribe to nothing
 * private). A token that does not verify: the socket is refused with 4401.
 */
import { decodeJwt } from "jose";
import { unauthenticated, verifyAccessToken, type AccessTokenSettings, type Identity } from "@agora/platform";

export interface SocketIdentity {
  identity: Identity | null;
  /** When the token expires (ms since epoch); the socket is closed with 4401 then. */
  expiresAt: number | null;
}

function tokenFrom(params: Readonly<Record<string, unknown>> | undefined): string | null {
  const raw = params?.Authorization ?? params?.authorization ?? params?.accessToken;
  if (raw === undefined || raw === null || raw === "") return null;
  if (typeof raw !== "string") throw unauthenticated('connectionParams.Authorization must be the string "Bearer <access token>".');
  const match = /^Bearer\s+(\S+)$/i.exec(raw) ?? /^(\S+)$/.exec(raw);
  if (!match?.[1]) throw unauthenticated('connectionParams.Authorization must be "Bearer <access token>".');
  return match[1];
}

/** Throws UNAUTHENTICATED (with what is wrong) for a token that does not verify or has expired. */
export async function identifySocket(
  params: Readonly<Record<string, unknown>> | undefined,
  settings: AccessTokenSettings,
): Promise<SocketIdentity> {
  const token = tokenFrom(params);
  if (!token) return { identity: null, expiresAt: null };
  const identity = await verifyAccessToken(token, settings);
  const { exp } = decodeJwt(token);
  return { identity, expiresAt: typeof exp === "number" ? exp * 1000 : null };
}
