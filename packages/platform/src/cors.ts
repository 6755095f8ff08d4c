/**
 * CORS for browser frontends on other origins. Without it a page on http://localhost:5173 cannot
 * call /graphql at all: its preflight (any request with `Authorization` or a JSON content type)
 * reaches Apollo, whose CSRF prevention refuses it with 400.
 *
 * Only origins in the allow-list get `Access-Control-Allow-Origin` (echoed, never `*` unless `*`
 * is configured). Preflights are answered here, before Apollo; every other request still goes
 * through Apollo's CSRF prevention, which CORS does not replace: a "simple" cross-site request
 * (a form post) is never preflighted, so the browser sends it whatever this module says.
 *
 * Credentials: clients authenticate with a bearer token they attach themselves; Agora sets no
 * cookies, so browsers get no `Access-Control-Allow-Credentials` unless asked for. Allowing them
 * would let an allowed origin's page ride on any ambient cookie or HTTP auth a browser holds for
 * this host, which nothing here needs.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { ErrorCode } from "./errors.js";

export interface CorsOptions {
  /**
   * Origins allowed to call from a browser, as the browser sends them (`scheme://host[:port]`,
   * no path). `*` allows any origin.
   */
  origins: readonly string[];
  /**
   * Sends `Access-Control-Allow-Credentials: true` (cookies, HTTP auth), for a deployment that
   * puts a cookie-based session in front of Agora. Cannot be combined with `*`.
   * @defaultValue `false`
   */
  allowCredentials?: boolean;
  /**
   * How long a browser may cache a preflight answer (Chromium caps it at 7200 s).
   * @defaultValue `600`
   */
  maxAgeSeconds?: number;
}

export const corsAllowedMethods = ["GET", "POST", "OPTIONS"] as const;
/** What Apollo Client and Apollo Sandbox send, plus the bearer token. */
export const corsAllowedHeaders = [
  "content-type",
  "authorization",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "apollographql-client-name",
  "apollographql-client-version",
] as const;
/** Response headers a client needs to read to back off politely. */
export const corsExposedHeaders = ["Retry-After", "RateLimit", "RateLimit-Policy"] as const;

/** The local dev servers' usual origins (Next.js, Create React App on 3000; Vite on 5173). */
export const developmentCorsOrigins = [
  "http://localhost:3000",
  "http://localhost:5173",
  "http://127.0.0.1:3000",
  "http://127.0.0.1:5173",
] as const;

/**
 * Parses a comma-separated origin list; throws naming the offending entry (a path, a trailing
 * slash or a missing scheme would silently never match what a browser sends).
 */
export function parseCorsOrigins(value: string): string[] {
  const origins = value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin === "*") continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new Error(
        `"${origin}" is not an origin; write it as the browser sends it, e.g. https://app.example.com or http://localhost:5173`,
      );
    }
  }
  return origins;
}

export type CorsHandler = (req: IncomingMessage, res: ServerResponse) => "answered" | "continue";

/**
 * Returns a handler to run first on every request: it answers preflights itself ("answered") and
 * adds the CORS headers to the answer of every other request from an allowed origin ("continue").
 */
export function createCors(options: CorsOptions): CorsHandler {
  const anyOrigin = options.origins.includes("*");
  if (anyOrigin && options.allowCredentials) throw new Error("CORS: credentials cannot be allowed for any origin (*); list the origins.");
  const allowed = new Set(options.origins);
  const maxAge = String(options.maxAgeSeconds ?? 600);
  const isAllowed = (origin: string) => anyOrigin || allowed.has(origin);

  return (req, res) => {
    // Caches must keep answers for different origins apart, including the refusals.
    res.setHeader("vary", "Origin");
    const origin = req.headers.origin;
    const preflight = req.method === "OPTIONS" && origin !== undefined && req.headers["access-control-request-method"] !== undefined;
    if (origin === undefined) return "continue";
    if (!isAllowed(origin)) {
      if (!preflight) return "continue"; // the browser withholds the answer; CSRF prevention still applies
      // The shape of http-server.ts's sendGraphQLError, written here so that module can import this one.
      const body = JSON.stringify({
        errors: [
          {
            message: `The origin ${origin} is not allowed to call this API (see CORS_ORIGINS).`,
            extensions: { code: ErrorCode.FORBIDDEN },
          },
        ],
      });
      res.writeHead(403, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return "answered";
    }
    res.setHeader("access-control-allow-origin", anyOrigin && !options.allowCredentials ? "*" : origin);
    if (options.allowCredentials) res.setHeader("access-control-allow-credentials", "true");
    if (!preflight) {
      res.setHeader("access-control-expose-headers", corsExposedHeaders.join(", "));
      return "continue";
    }
    res.writeHead(204, {
      "access-control-allow-methods": corsAllowedMethods.join(", "),
      "access-control-allow-headers": corsAllowedHeaders.join(", "),
      "access-control-max-age": maxAge,
      "content-length": "0",
    });
    res.end();
    return "answered";
  };
}
