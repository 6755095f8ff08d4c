/**
 * The real gateway in front of stand-in subgraphs that only count the requests they get: for tests
 * of what the gateway refuses on its own (operation limits, production settings), where "nothing
 * was executed" means "no subgraph was called".
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLogger } from "@agora/platform";
import { loadGatewayConfig } from "../../src/config.js";
import { createGateway, type Gateway } from "../../src/server.js";

const internalSecret = "stub-internal-secret-0123456789abcdef";
const jwtSecret = "stub-jwt-secret-0123456789abcdef-0123";

export interface StubGateway {
  url: string;
  gateway: Gateway;
  /** Requests the stand-in subgraphs have received so far. */
  subgraphCalls(): number;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: any }>;
  stop(): Promise<void>;
}

export async function startStubGateway(env: Record<string, string> = {}): Promise<StubGateway> {
  let calls = 0;
  const subgraphs: Server = createServer((req, res) => {
    calls++;
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ data: null, errors: [{ message: "stand-in subgraph" }] }));
  });
  await new Promise<void>((resolve) => subgraphs.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(subgraphs.address() as AddressInfo).port}`;
  const config = loadGatewayConfig({
    NODE_ENV: "test",
    INTERNAL_SECRET: internalSecret,
    JWT_SECRET: jwtSecret,
    USERS_URL: `${base}/users/graphql`,
    OFFERS_URL: `${base}/offers/graphql`,
    REVIEWS_URL: `${base}/reviews/graphql`,
    JOBS_URL: `${base}/jobs/graphql`,
    RATE_LIMIT_ENABLED: "false",
    ...env,
  });
  const gateway = await createGateway(config, createLogger("test", "silent"));
  const running = await gateway.listen(0, "127.0.0.1");
  const url = `${running.url}/graphql`;
  return {
    url,
    gateway,
    subgraphCalls: () => calls,
    async post(body, headers = {}) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: response.status, headers: response.headers, body: await response.json() };
    },
    async stop() {
      await gateway.stop();
      await new Promise<void>((resolve) => subgraphs.close(() => resolve()));
    },
  };
}
