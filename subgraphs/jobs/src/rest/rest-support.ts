/** Shared bits of the REST routes: JSON errors and the caller's identity. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode, identityHeader, sendErrorResponse, verifyIdentityHeader, type Identity } from "@agora/platform";

/**
 * A refusal of a REST route: answered in the platform's one error shape
 * (`{ errors: [{ message, extensions: { code, reason? } }] }`), with an HTTP status of its own
 * where the code's default does not say enough (413, 415, 422) and a machine-readable `reason`.
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "RestError";
  }
}

export function sendRestError(res: ServerResponse, error: RestError, headers: Record<string, string> = {}): void {
  sendErrorResponse(res, error.code, error.message, {
    status: error.status,
    details: error.reason ? { reason: error.reason } : {},
    headers,
  });
}

/** The verified identity from the gateway's header; a missing or unverifiable one is a 401. */
export async function requireRestIdentity(req: IncomingMessage, internalSecret: string): Promise<Identity> {
  let identity: Identity | null = null;
  try {
    identity = await verifyIdentityHeader(req.headers[identityHeader] as string | undefined, internalSecret);
  } catch (error) {
    throw new RestError(401, ErrorCode.UNAUTHENTICATED, (error as Error).message);
  }
  if (!identity)
    throw new RestError(401, ErrorCode.UNAUTHENTICATED, "You must be signed in to do this (send an access token through the gateway).");
  return identity;
}

/** Optional identity: null when there is none or it does not verify. */
export async function optionalRestIdentity(req: IncomingMessage, internalSecret: string): Promise<Identity | null> {
  try {
    return await verifyIdentityHeader(req.headers[identityHeader] as string | undefined, internalSecret);
  } catch {
    return null;
  }
}
