/**
 * Sends each subgraph the caller's identity as a short-lived JWT signed with INTERNAL_SECRET
 * (see packages/platform/src/identity.ts). Client headers are never forwarded, so a client cannot
 * smuggle an identity header through the gateway. The client's address as trusted here
 * (TRUSTED_PROXIES) and the request id go along signed too (`x-agora-origin`, request-origin.ts),
 * for anonymous callers as well: the subgraphs' audit log records where a request came from. Every call goes through the subgraph fetch
 * (deadline, caller's abort signal, breaker, safe retries); a subgraph that cannot answer becomes
 * SERVICE_UNAVAILABLE naming the service and the URL tried, and the rest of the query plan still
 * runs, so a client gets the data of the subgraphs that did answer.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { identityHeader, requestOriginHeader, serviceUnavailable, signIdentity, signRequestOrigin } from "@agora/platform";
import type { GatewayContext } from "../context.js";
import type { SubgraphCall, SubgraphFetch } from "./subgraph-fetch.js";
import { CallerAbortedError, SubgraphCallError, serviceUnavailableError } from "./subgraph-errors.js";

/** What the HTTP layer adds to the context: aborted when the client's connection is gone. */
export interface CallerSignal {
  signal?: AbortSignal;
}

type Context = GatewayContext & CallerSignal;

/** A subgraph request is a mutation when the planner wrote one; entity fetches are queries. */
const isMutation = (query: string | undefined) => /^\s*mutation\b/.test(query ?? "");

export class AuthenticatedDataSource extends RemoteGraphQLDataSource<Context> {
  /** Hands the per-call details to the fetcher, which Apollo calls with only (url, init). */
  private readonly calls = new AsyncLocalStorage<SubgraphCall>();

  constructor(
    private readonly serviceName: string,
    url: string,
    private readonly internalSecret: string,
    private readonly timeoutMs: number,
    subgraphFetch: SubgraphFetch,
  ) {
    super({ url });
    this.fetcher = ((input: string, init: RequestInit) =>
      subgraphFetch(input, init, this.calls.getStore() ?? { retryable: false })) as unknown as typeof this.fetcher;
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.delete(identityHeader);
    const identity = "identity" in context ? context.identity : null;
    if (identity) {
      // Sign once per client request, not once per subgraph fetch.
      context.signedIdentity ??= signIdentity(identity, this.internalSecret);
      headers.set(identityHeader, await context.signedIdentity);
    }
    headers.delete(requestOriginHeader);
    const requestId = "requestId" in context ? context.requestId : undefined;
    if (requestId) {
      headers.set("x-request-id", requestId);
      if (context.clientIp) {
        context.signedOrigin ??= signRequestOrigin({ clientIp: context.clientIp, requestId }, this.internalSecret);
        headers.set(requestOriginHeader, context.signedOrigin);
      }
    }
  }

  override async process(options: GraphQLDataSourceProcessOptions<Context>): Promise<GatewayGraphQLResponse> {
    const signal = "signal" in options.context ? (options.context as CallerSignal).signal : undefined;
    const call: SubgraphCall = { signal, retryable: !isMutation(options.request.query) };
    try {
      return await this.calls.run(call, () => super.process(options));
    } catch (error) {
      if (error instanceof SubgraphCallError) {
        throw serviceUnavailableError(this.serviceName, this.url, error.failure, { timeoutMs: this.timeoutMs, status: error.status });
      }
      // Nobody is left to read this answer; say what happened for the logs, not that the subgraph failed.
      if (error instanceof CallerAbortedError) throw serviceUnavailable(`The client went away before ${this.serviceName} answered.`);
      throw error;
    }
  }
}
