/**
 * The one registry of public error codes (DESIGN.md, "Public API outline"), for GraphQL and REST
 * answers alike (error-response.ts gives them their one JSON shape). Resolvers throw these;
 * `formatError` makes sure nothing else (stack traces, SQL, internal messages) reaches a client
 * outside development.
 */
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { unwrapResolverError } from "@apollo/server/errors";

export const ErrorCode = {
  BAD_USER_INPUT: "BAD_USER_INPUT",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  RATE_LIMITED: "RATE_LIMITED",
  OPERATION_TOO_COMPLEX: "OPERATION_TOO_COMPLEX",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
  // Apollo Server's own codes, passed on as Apollo sends them: clients act on them (Apollo Client's
  // persisted-query link recognises a miss by PERSISTED_QUERY_NOT_FOUND and resends the query).
  /** The document does not parse. */
  GRAPHQL_PARSE_FAILED: "GRAPHQL_PARSE_FAILED",
  /** The document does not validate against the schema (an unknown field, a missing argument). */
  GRAPHQL_VALIDATION_FAILED: "GRAPHQL_VALIDATION_FAILED",
  /** The HTTP request is not a GraphQL request: no query, a body that is not JSON, CSRF prevention. */
  BAD_REQUEST: "BAD_REQUEST",
  /** An automatic persisted query whose hash the server does not know (yet): send the full query. */
  PERSISTED_QUERY_NOT_FOUND: "PERSISTED_QUERY_NOT_FOUND",
  PERSISTED_QUERY_NOT_SUPPORTED: "PERSISTED_QUERY_NOT_SUPPORTED",
  /** The document has no operation of the requested `operationName`. */
  OPERATION_RESOLUTION_FAILURE: "OPERATION_RESOLUTION_FAILURE",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const httpStatusByCode: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  OPERATION_TOO_COMPLEX: 400,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_SERVER_ERROR: 500,
  GRAPHQL_PARSE_FAILED: 400,
  GRAPHQL_VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  // Apollo answers persisted-query misses with 200, so that caches and clients treat them as a
  // normal GraphQL answer and retry with the query.
  PERSISTED_QUERY_NOT_FOUND: 200,
  PERSISTED_QUERY_NOT_SUPPORTED: 200,
  OPERATION_RESOLUTION_FAILURE: 400,
};

export function httpStatusFor(code: ErrorCode): number {
  return httpStatusByCode[code];
}

/** A GraphQL error with a public code. `details` lands in `extensions` (e.g. the offending field). */
export class AgoraError extends GraphQLError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message, { extensions: { ...details, code } });
    this.name = "AgoraError";
  }
}

export const badUserInput = (message: string, field?: string) => new AgoraError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const unauthenticated = (message = "You must be signed in to do this.") => new AgoraError(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = "You are not allowed to do this.") => new AgoraError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string, id: string) => new AgoraError(ErrorCode.NOT_FOUND, `${what} ${id} was not found.`, { id });
export const conflict = (message: string) => new AgoraError(ErrorCode.CONFLICT, message);
export const serviceUnavailable = (message: string) => new AgoraError(ErrorCode.SERVICE_UNAVAILABLE, message);

const publicCodes = new Set<string>(Object.values(ErrorCode));

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === "string" && publicCodes.has(code);

/**
 * Apollo `formatError`: keeps every code of the registry as it is (Apollo's own included, so a
 * parse error stays GRAPHQL_PARSE_FAILED), and hides everything else as INTERNAL_SERVER_ERROR with a
 * generic message unless `exposeDetails` (development) is on.
 */
export function createFormatError(options: { exposeDetails: boolean; onInternalError?: (error: unknown) => void }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code as string | undefined;
    if (code && publicCodes.has(code) && code !== ErrorCode.INTERNAL_SERVER_ERROR) {
      const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
      return options.exposeDetails ? formatted : { ...formatted, extensions };
    }
    // Apollo refuses some requests with a bare 4xx error and no code (e.g. "provided sha does not
    // match query"): the client's mistake, so say so instead of hiding it as our failure.
    const status = (error as { extensions?: { http?: { status?: number } } } | undefined)?.extensions?.http?.status;
    if (status && status >= 400 && status < 500) {
      return { message: formatted.message, extensions: { code: ErrorCode.BAD_REQUEST } };
    }
    options.onInternalError?.(unwrapResolverError(error));
    if (options.exposeDetails) return { ...formatted, extensions: { ...formatted.extensions, code: ErrorCode.INTERNAL_SERVER_ERROR } };
    return {
      message: "Something went wrong on our side. It has been logged; please try again.",
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
