/**
 * The one JSON shape of every error answer over HTTP, from GraphQL and REST routes alike, in every
 * service and the gateway's proxy (as apollo-server's `errorResponse` does for GraphQL):
 *
 *   { "errors": [ { "message": "…", "extensions": { "code": "<ErrorCode>", …details } } ] }
 *
 * It is the shape a GraphQL response already has, so a client needs one parser for both, and the
 * code always comes from the registry in errors.ts. Details (a `reason` such as FILE_TOO_LARGE, the
 * offending `field`, a readiness report) sit beside the code in `extensions`.
 */
import type { ServerResponse } from "node:http";
import { httpStatusFor, type ErrorCode } from "./errors.js";

export interface ErrorResponseBody {
  errors: [{ message: string; extensions: Record<string, unknown> & { code: ErrorCode } }];
}

/** The body of an error answer; `details` may not override `code`. */
export function errorResponseBody(code: ErrorCode, message: string, details: Record<string, unknown> = {}): ErrorResponseBody {
  return { errors: [{ message, extensions: { ...details, code } }] };
}

export interface ErrorResponseOptions {
  /** The HTTP status. @defaultValue the code's status in the registry (`httpStatusFor`) */
  status?: number;
  /** Extra `extensions` beside the code. @defaultValue none */
  details?: Record<string, unknown>;
  /** Extra response headers (e.g. `connection: close`). @defaultValue none */
  headers?: Record<string, string>;
}

/** Answers with an error in the one shape. */
export function sendErrorResponse(res: ServerResponse, code: ErrorCode, message: string, options: ErrorResponseOptions = {}): void {
  const payload = JSON.stringify(errorResponseBody(code, message, options.details));
  res.writeHead(options.status ?? httpStatusFor(code), {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    ...options.headers,
  });
  res.end(payload);
}
