import type { IncomingMessage } from "node:http";
import { randomUUID } from "node:crypto";
import { unauthenticated, verifyAccessToken, type AccessTokenSettings, type Identity } from "@agora/platform";

export interface GatewayContext {
  identity: Identity | null;
  requestId: string;
  /** Filled lazily by AuthenticatedDataSource: the identity JWT sent to subgraphs. */
  signedIdentity?: Promise<string>;
}

/** Reads `Authorization: Bearer <access token>`; no header means anonymous, a bad token is refused. */
export async function identityFromRequest(req: IncomingMessage, settings: AccessTokenSettings): Promise<Identity | null> {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthenticated('The Authorization header must be "Bearer <access token>".');
  return verifyAccessToken(match[1], settings);
}

export async function createGatewayContext(req: IncomingMessage, settings: AccessTokenSettings): Promise<GatewayContext> {
  const requestId = typeof req.headers["x-request-id"] === "string" ? req.headers["x-request-id"].slice(0, 100) : randomUUID();
  return { identity: await identityFromRequest(req, settings), requestId };
}
