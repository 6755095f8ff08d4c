/**
 * Hive Gateway's configuration for `pnpm bench` (loaded by `hive-gateway supergraph … -c` from this
 * file; Node strips the types). The subgraph URLs come from BENCH_<NAME>_URL (the bench's own
 * subgraphs, not the ones in the supergraph's join__graph). The subgraphs accept an identity only as
 * the gateway-signed `x-agora-identity` JWT, so Hive does what our gateway's
 * AuthenticatedDataSource does, with the same platform functions and as often: verify the client's
 * bearer token once per client request, sign one identity JWT per client request for all its
 * subgraph fetches, add an `x-request-id`. No client header is forwarded as it is.
 */
import { randomUUID } from "node:crypto";
import { defineConfig } from "@graphql-hive/gateway";
import { identityHeader, signIdentity, verifyAccessToken } from "@agora/platform";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`bench/hive/gateway.config.ts: ${name} is not set`);
  return value;
};

const internalSecret = env("INTERNAL_SECRET");
const accessTokens = { secret: env("JWT_SECRET"), issuer: "agora-users", audience: "agora-api", ttlSeconds: 900 };
const subgraphs = ["users", "offers", "reviews", "jobs"] as const;

/** Headers for every subgraph fetch of one client request, computed on its first fetch. */
const forwarded = new WeakMap<object, Promise<Record<string, string>>>();

async function headersFor(request: Request): Promise<Record<string, string>> {
  const headers: Record<string, string> = { "x-request-id": request.headers.get("x-request-id")?.slice(0, 100) ?? randomUUID() };
  const authorization = request.headers.get("authorization");
  if (authorization) {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (!token) throw new Error('The Authorization header must be "Bearer <access token>".');
    headers[identityHeader] = await signIdentity(await verifyAccessToken(token, accessTokens), internalSecret);
  }
  return headers;
}

export const gatewayConfig = defineConfig({
  logging: "warn",
  transportEntries: Object.fromEntries(subgraphs.map((name) => [name, { location: env(`BENCH_${name.toUpperCase()}_URL`) }])),
  propagateHeaders: {
    // The context is one client request's, shared by all of its subgraph fetches.
    fromClientToSubgraphs({ request, context }) {
      let headers = forwarded.get(context);
      if (!headers) forwarded.set(context, (headers = headersFor(request)));
      return headers;
    },
  },
});
