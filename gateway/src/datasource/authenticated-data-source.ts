/**
 * Sends each subgraph the caller's identity as a short-lived JWT signed with INTERNAL_SECRET
 * (see packages/platform/src/identity.ts). Client headers are never forwarded, so a client cannot
 * smuggle an identity header through the gateway. A subgraph that cannot be reached is reported
 * as SERVICE_UNAVAILABLE naming the service and the URL tried.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayGraphQLResponse } from "@apollo/server-gateway-interface";
import { identityHeader, serviceUnavailable, signIdentity } from "@agora/platform";
import type { GatewayContext } from "./context.js";

export class AuthenticatedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly serviceName: string,
    url: string,
    private readonly internalSecret: string,
    private readonly timeoutMs: number,
  ) {
    super({ url });
    // Node's fetch with a deadline: a hung subgraph fails this request instead of holding it forever.
    this.fetcher = ((input: string, init?: RequestInit) =>
      fetch(input, { ...init, signal: AbortSignal.timeout(this.timeoutMs) })) as unknown as typeof this.fetcher;
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers) return;
    headers.delete(identityHeader);
    const identity = "identity" in context ? context.identity : null;
    if (identity) {
      // Sign once per client request, not once per subgraph fetch.
      context.signedIdentity ??= signIdentity(identity, this.internalSecret);
      headers.set(identityHeader, await context.signedIdentity);
    }
    const requestId = "requestId" in context ? context.requestId : undefined;
    if (requestId) headers.set("x-request-id", requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code ?? "";
      const message = (error as Error).message ?? "";
      if (/TimeoutError|aborted due to timeout/i.test(`${(error as Error).name} ${message}`)) {
        throw serviceUnavailable(`The ${this.serviceName} service did not answer within ${this.timeoutMs} ms (${this.url}).`);
      }
      if (/ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|UND_ERR|fetch failed|socket hang up/i.test(`${cause} ${message}`)) {
        throw serviceUnavailable(
          `The ${this.serviceName} service is unavailable (tried ${this.url}). Start it with \`pnpm start\` or check ${this.serviceName.toUpperCase()}_URL.`,
        );
      }
      throw error;
    }
  }
}
