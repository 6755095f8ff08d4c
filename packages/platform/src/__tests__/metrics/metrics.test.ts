import { randomUUID } from "node:crypto";
import { Registry } from "prom-client";
import { createTestDatabase } from "../../testing/index.js";
import { createDatabase, type Database } from "../../database.js";
import { createMetrics } from "../../metrics.js";
import { registerDatabaseMetrics } from "../../metrics/database-metrics.js";
import { registerDependencyProbe } from "../../metrics/dependency-up.js";
import { createOperationNames } from "../../metrics/operation-names.js";
import { outcomeOf } from "../../metrics/outcome.js";
import { registerOutboxMetrics } from "../../job-store/outbox-metrics.js";
import { createSubgraphFetchMetrics, instrumentSubgraphFetch } from "../../metrics/subgraph-fetch.js";

const valueOf = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value))?.value;
};

describe("operation names", () => {
  it("keeps the first names, then puts new ones in `other`, and unnamed ones in `anonymous`", () => {
    const names = createOperationNames({ maxOperationNames: 2 });
    expect([names.label("Offers"), names.label("Me"), names.label("Third"), names.label("Offers")]).toEqual([
      "Offers",
      "Me",
      "other",
      "Offers",
    ]);
    expect([names.label(undefined), names.label(null), names.label("")]).toEqual(["anonymous", "anonymous", "anonymous"]);
  });

  it("never keeps something that is not a GraphQL name", () => {
    const names = createOperationNames();
    expect(names.label("{ offers { id } }")).toBe("other");
    expect(names.label("x".repeat(101))).toBe("other");
  });
});

describe("outcome", () => {
  it("tells the caller's errors from ours", () => {
    expect(outcomeOf([])).toBe("ok");
    expect(outcomeOf([{ extensions: { code: "BAD_USER_INPUT" } }, { extensions: { code: "FORBIDDEN" } }])).toBe("client_error");
    expect(outcomeOf([{ extensions: { code: "NOT_FOUND" } }, { extensions: { code: "SERVICE_UNAVAILABLE" } }])).toBe("server_error");
    expect(outcomeOf([{ extensions: {} }])).toBe("server_error");
  });
});

describe("subgraph fetches", () => {
  it("counts and times answers, answers with errors, and failures by subgraph", async () => {
    const metrics = createMetrics("gateway", { processMetrics: false });
    const fetches = createSubgraphFetchMetrics(metrics.registry);
    let next: () => Promise<{ errors?: unknown[] }> = async () => ({});
    const source = instrumentSubgraphFetch("offers", { process: (_options: never) => next() }, fetches);
    await source.process(undefined as never);
    next = async () => ({ errors: [{ message: "no" }] });
    await source.process(undefined as never);
    next = async () => Promise.reject(new Error("ECONNREFUSED"));
    await expect(source.process(undefined as never)).rejects.toThrow("ECONNREFUSED");
    for (const outcome of ["ok", "error", "unavailable"]) {
      expect(await valueOf(metrics.registry, "agora_subgraph_fetches_total", { subgraph: "offers", outcome })).toBe(1);
    }
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/agora_subgraph_fetch_duration_seconds_count\{service="gateway",subgraph="offers",outcome="unavailable"\} 1/);
  });
});

describe("dependency probes", () => {
  it("reports 1 for a dependency that answers and 0 for one that fails", async () => {
    const registry = new Registry();
    registerDependencyProbe(registry, "postgresql", async () => 1);
    registerDependencyProbe(registry, "redis", async () => Promise.reject(new Error("ECONNREFUSED")));
    expect(await valueOf(registry, "agora_dependency_up", { dependency: "postgresql" })).toBe(1);
    expect(await valueOf(registry, "agora_dependency_up", { dependency: "redis" })).toBe(0);
  });
});

describe("Postgres metrics", () => {
  let db: Database;
  beforeAll(async () => {
    db = createDatabase({ url: await createTestDatabase("metrics"), poolSize: 3 });
  });
  afterAll(() => db.disconnect());

  it("shows a connection held by a transaction as in use, and the pool's size", async () => {
    const registry = new Registry();
    registerDatabaseMetrics(registry, db);
    await db.primary.$transaction(async (tx) => {
      await tx.$queryRawUnsafe("SELECT 1");
      expect(await valueOf(registry, "agora_db_pool_connections", { pool: "primary", state: "in_use" })).toBe(1);
    });
    expect(await valueOf(registry, "agora_db_pool_connections", { pool: "primary", state: "in_use" })).toBe(0);
    expect(await valueOf(registry, "agora_db_pool_max_connections", { pool: "primary" })).toBe(3);
    expect(await valueOf(registry, "agora_db_pool_waiting_requests", { pool: "primary" })).toBe(0);
  });

  it("counts the outbox backlog, its oldest row's age and the dead letters", async () => {
    const registry = new Registry();
    registerOutboxMetrics(registry, db.primary);
    expect(await valueOf(registry, "agora_outbox_backlog_jobs")).toBe(0);
    expect(await valueOf(registry, "agora_outbox_oldest_age_seconds")).toBe(0);
    const job = (data: object) => ({ type: "NOOP" as const, input: {}, requestedBy: randomUUID(), ...data });
    await db.primary.job.createMany({
      data: [
        job({ createdAt: new Date(Date.now() - 600_000) }),
        job({}),
        job({ enqueuedAt: new Date() }),
        job({ status: "FAILED", enqueuedAt: new Date(), deadLetteredAt: new Date() }),
      ],
    });
    expect(await valueOf(registry, "agora_outbox_backlog_jobs")).toBe(2);
    expect(await valueOf(registry, "agora_outbox_oldest_age_seconds")).toBeGreaterThanOrEqual(600);
    expect(await valueOf(registry, "agora_dead_letter_jobs")).toBe(1);
  });
});
