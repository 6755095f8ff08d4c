/**
 * The cheap path of a response-cache hit: a GraphQL POST whose answer this gateway holds in memory,
 * known current, is answered from the stored body before Apollo sees it (no context, no document
 * cache, no plugins, no serialisation). Anything else goes on to Apollo, which applies every rule
 * and serves or fills the cache itself (plugins/response-cache.ts): the same key, the same
 * entries, so both paths answer alike.
 *
 * Skipping Apollo is safe because an entry exists only for an operation that passed validation,
 * the operation limits and authorization before (its key is the exact document, variables and
 * audience). It is not used while rate limiting is on (server.ts): a hit is still charged there,
 * and the charge needs the operation's estimated cost, which only Apollo's pipeline computes.
 * Signed-in callers have their token verified here exactly as by the context; an invalid one goes
 * to Apollo, which refuses it.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AccessTokenSettings, Identity, Metrics } from "@agora/platform";
import type { ResponseCache } from "../caching/response-cache.js";
import { identityFromRequest } from "../context.js";
import { audienceOf } from "../plugins/response-cache.js";

export interface CachedResponsesOptions {
  cache: ResponseCache;
  accessTokens: AccessTokenSettings;
  /** The gateway's request metrics: a hit answered here is a request like any other. */
  metrics: Metrics;
  /** Counts a hit of the response cache. */
  hit(tier: "memory"): void;
}

interface GraphQLBody {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } };
}

/** Query texts seen recently and their SHA-256: a hit then hashes nothing (a client repeats its few queries). */
const hashedQueries = new Map<string, string>();
const hashedQueriesMax = 1000;

function queryHashOf(query: string): string {
  let hash = hashedQueries.get(query);
  if (hash === undefined) {
    hash = createHash("sha256").update(query).digest("hex");
    if (hashedQueries.size >= hashedQueriesMax) hashedQueries.clear();
    hashedQueries.set(query, hash);
  }
  return hash;
}

export function answerFromCache(options: CachedResponsesOptions) {
  const { cache, metrics } = options;
  // prom-client hashes the label values on every inc/observe; the children of an operation's labels do not.
  const children = new Map<string, { requests: { inc(): void }; duration: { observe(seconds: number): void } }>();
  const metricsOf = (operationName: string | null) => {
    const operation = metrics.operationNames.label(operationName);
    let child = children.get(operation);
    if (!child) {
      const labels = { operation, outcome: "ok" };
      child = { requests: metrics.requests.labels(labels), duration: metrics.duration.labels(labels) };
      children.set(operation, child);
    }
    return child;
  };
  return async (req: IncomingMessage, res: ServerResponse, body: unknown): Promise<boolean> => {
    if (req.method !== "POST" || !body || typeof body !== "object" || Array.isArray(body) || !cache.available) return false;
    const freshness = req.headers["cache-control"];
    if (freshness && /\bno-(cache|store)\b/i.test(freshness)) return false;
    // Apollo answers these with another content type; let it.
    if (req.headers.accept?.includes("graphql-response+json")) return false;
    const { query, operationName, variables, extensions } = body as GraphQLBody;
    const hash = extensions?.persistedQuery?.sha256Hash;
    const queryHash = typeof query === "string" ? queryHashOf(query) : typeof hash === "string" ? hash : null;
    if (queryHash === null) return false;
    if (operationName != null && typeof operationName !== "string") return false;
    if (variables != null && (typeof variables !== "object" || Array.isArray(variables))) return false;
    const started = process.hrtime.bigint();
    let identity: Identity | null = null;
    if (req.headers.authorization) {
      try {
        identity = await identityFromRequest(req, options.accessTokens);
      } catch {
        return false;
      }
    }
    const entry = cache.peek(cache.keyOf(audienceOf({ identity }), operationName ?? undefined, queryHash, variables));
    if (!entry) return false;
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "content-length": entry.byteLength,
      "cache-control": `max-age=${entry.maxAge}, ${identity ? "private" : entry.scope.toLowerCase()}`,
      age: String(Math.max(0, Math.floor((Date.now() - entry.storedAt) / 1000))),
    });
    res.end(entry.body);
    options.hit("memory");
    const child = metricsOf(entry.operationName);
    child.requests.inc();
    child.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return true;
  };
}
