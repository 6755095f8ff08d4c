/**
 * The response cache at the gateway (caching/response-cache.ts keeps the entries): what may be
 * cached, for whom, and the headers that say so. The same hooks as
 * `@apollo/server-plugin-response-cache` (`responseForOperation` answers a hit without executing,
 * `willSendResponse` stores), which we do not use because it has no invalidation.
 *
 * What may be cached is what the subgraphs say: their `@cacheControl` hints become each
 * subgraph's `Cache-Control` header, `RemoteGraphQLDataSource` folds every fetch of the query
 * plan into `overallCachePolicy`, and a fetch without a header makes the whole answer uncacheable.
 * Never cached: mutations, subscriptions and their payload executions (`internal`, they exist to
 * show fresh state), answers with `errors` (a subgraph down, a refusal), max age 0.
 *
 * For whom: an anonymous request shares entries with every anonymous request, and never gets or
 * makes a PRIVATE one. A signed-in request is keyed by its user (and role) even when the subgraphs
 * call the answer PUBLIC: results depend on the viewer in more places than hints can safely say
 * (a seller sees their drafts in `offer(id)` and `User.offers`, authors and moderators see
 * REJECTED reviews, admins see everything), and one missed hint would hand one user's data to
 * another. Keying by user makes that impossible by construction; signed-in users only lose sharing
 * entries with each other. For the same reason their `Cache-Control` says `private`, so no shared
 * HTTP cache downstream keeps it either.
 *
 * `Cache-Control: no-cache` (or `no-store`) from the client skips the cache, neither served nor
 * stored; rate limits still apply, as this plugin runs after the rate limiter. A hit carries
 * `Age` (seconds since it was stored) beside the `Cache-Control` of the stored policy.
 */
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext } from "@apollo/server";
import type { FragmentDefinitionNode } from "graphql";
import { collectResponseTags } from "../caching/response-cache-tags.js";
import type { CachedResponse, ResponseCache } from "../caching/response-cache.js";
import type { GatewayContext } from "../context.js";

export interface ResponseCachePluginMetrics {
  request(result: "hit" | "miss" | "bypass", tier: "memory" | "redis" | "none"): void;
}

const asksForFresh = (header: string | undefined) => header !== undefined && /\bno-(cache|store)\b/i.test(header);

export function audienceOf(context: Pick<GatewayContext, "identity">): string {
  return context.identity ? `user:${context.identity.userId}:${context.identity.role}` : "anonymous";
}

function fragmentsOf(requestContext: GraphQLRequestContext<GatewayContext>): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of requestContext.document?.definitions ?? []) {
    if (definition.kind === "FragmentDefinition") fragments[definition.name.value] = definition;
  }
  return fragments;
}

export function responseCachePlugin(cache: ResponseCache, metrics?: ResponseCachePluginMetrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      // Subscription payloads run through the gateway to show fresh state: never from or into the cache.
      if (contextValue.internal) return;
      let key: string | null = null;
      let sequence: number | null = null;
      let hit: CachedResponse | null = null;
      return {
        async responseForOperation(requestContext) {
          if (requestContext.operation?.operation !== "query") return null;
          if (!cache.available || asksForFresh(requestContext.request.http?.headers.get("cache-control"))) {
            metrics?.request("bypass", "none");
            return null;
          }
          // The operation name as the client sent it: http/cached-responses.ts builds the same key without parsing.
          key = cache.keyOf(
            audienceOf(contextValue),
            requestContext.request.operationName,
            requestContext.queryHash ?? "",
            requestContext.request.variables,
          );
          const found = await cache.lookup(key);
          if (found.kind === "bypass") {
            key = null;
            metrics?.request("bypass", "none");
            return null;
          }
          if (found.kind === "hit") {
            hit = found.entry;
            metrics?.request("hit", found.tier);
            // Apollo's cache-control plugin writes Cache-Control from this policy.
            requestContext.overallCachePolicy.replace({ maxAge: hit.maxAge, scope: hit.scope });
            return { http: { headers: new HeaderMap() }, body: { kind: "single", singleResult: hit.result } };
          }
          metrics?.request("miss", "none");
          sequence = found.sequence;
          return null;
        },

        async willSendResponse(requestContext) {
          // Synchronously first: Apollo's cache-control plugin (installed after ours) reads the policy next.
          // A mutation's answer is an Offer with a hint like any other, but it is a write: never cacheable, for anyone.
          if (requestContext.operation && requestContext.operation.operation !== "query")
            requestContext.overallCachePolicy.restrict({ maxAge: 0 });
          const policy = requestContext.overallCachePolicy.policyIfCacheable();
          if (policy && contextValue.identity) requestContext.overallCachePolicy.restrict({ scope: "PRIVATE" });
          if (hit) {
            requestContext.response.http.headers.set("age", String(Math.max(0, Math.floor((Date.now() - hit.storedAt) / 1000))));
            return;
          }
          if (key === null || sequence === null || !policy || policy.maxAge <= 0) return;
          const { body } = requestContext.response;
          if (body.kind !== "single" || body.singleResult.errors || !body.singleResult.data) return;
          if (policy.scope === "PRIVATE" && !contextValue.identity) return;
          if (!requestContext.operation || !requestContext.schema) return;
          const data = body.singleResult.data;
          const tags = collectResponseTags(
            requestContext.schema,
            requestContext.operation,
            fragmentsOf(requestContext),
            data,
            requestContext.request.variables ?? {},
          );
          await cache.store(key, sequence, { data }, tags, { maxAge: policy.maxAge, scope: policy.scope }, requestContext.operationName);
        },
      };
    },
  };
}
