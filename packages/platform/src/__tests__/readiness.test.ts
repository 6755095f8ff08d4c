import { parse } from "graphql";
import { createDatabase } from "../database.js";
import { createLogger } from "../logger.js";
import { createSubgraphServer, type SubgraphServer } from "../subgraph-server.js";
import type { RunningServer } from "../http-server.js";

/** A subgraph whose PostgreSQL is down (nothing listens on port 1). */
async function subgraphWithoutDatabase(exposeErrorDetails: boolean): Promise<{ server: SubgraphServer; running: RunningServer }> {
  const server = await createSubgraphServer(
    { name: "probe", typeDefs: parse("type Query { hello: String }"), resolvers: {}, createContext: (base) => base },
    {
      db: createDatabase({ url: "postgresql://agora:hunter2@127.0.0.1:1/agora_private", poolSize: 1 }),
      log: createLogger("readiness-test", "silent"),
      internalSecret: "readiness-test-internal-secret-0123456789",
      bodyLimitBytes: 65536,
      exposeErrorDetails,
    },
  );
  return { server, running: await server.listen(0, "127.0.0.1") };
}

describe("subgraph readiness with PostgreSQL down", () => {
  it("outside development names the dependency and its state, never the driver's text", async () => {
    const { server, running } = await subgraphWithoutDatabase(false);
    try {
      const response = await fetch(`${running.url}/health/ready`);
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(text).not.toMatch(/reach database|127\.0\.0\.1|hunter2|agora_private|prisma|Invalid/i);
      expect(JSON.parse(text)).toEqual({
        errors: [
          {
            message: "PostgreSQL is unreachable.",
            extensions: {
              code: "SERVICE_UNAVAILABLE",
              status: "unavailable",
              service: "probe",
              dependency: "postgresql",
              state: "unreachable",
            },
          },
        ],
      });
    } finally {
      await server.stop();
    }
  });

  it("in development adds the driver's message, to help whoever runs it", async () => {
    const { server, running } = await subgraphWithoutDatabase(true);
    try {
      const body = (await (await fetch(`${running.url}/health/ready`)).json()) as { errors: Record<string, unknown>[] };
      expect(body.errors[0]).toMatchObject({ extensions: { state: "unreachable" }, message: expect.stringMatching(/127\.0\.0\.1:1/) });
    } finally {
      await server.stop();
    }
  });
});
