/**
 * The `outcome` label of a GraphQL response. Client errors (bad input, not signed in, refused,
 * rate limited) are the caller's; only server errors count against availability, so the SLO
 * alerts and dashboards read `outcome="server_error"`.
 */
import { ErrorCode } from "../errors.js";

export type Outcome = "ok" | "client_error" | "server_error";

const clientCodes = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.NOT_FOUND,
  ErrorCode.CONFLICT,
  ErrorCode.RATE_LIMITED,
  ErrorCode.OPERATION_TOO_COMPLEX,
  // Apollo's own codes for requests that were wrong before anything ran.
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

/** A GraphQL error as thrown or as formatted for the response: only its code matters here. */
export interface CodedError {
  readonly extensions?: { readonly [key: string]: unknown } | undefined;
}

export function outcomeOf(errors: readonly CodedError[]): Outcome {
  if (errors.length === 0) return "ok";
  const serverSide = errors.some((error) => {
    const code = error.extensions?.code;
    return typeof code !== "string" || !clientCodes.has(code);
  });
  return serverSide ? "server_error" : "client_error";
}
