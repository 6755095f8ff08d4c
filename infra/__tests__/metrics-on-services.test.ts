/**
 * Every metric a dashboard panel or an alert reads exists on the /metrics of a real running
 * service: the real gateway and four subgraphs (gateway/__tests__/support/stack.ts) and a real
 * worker process (workers/__tests__/support/harness.ts), after real traffic and real jobs. A
 * renamed metric or a typo in a dashboard fails here instead of showing an empty panel.
 */
import { startStack, type Stack } from "../../gateway/__tests__/support/stack.js";
import { createHarness, type Harness } from "../../workers/__tests__/support/harness.js";
import { dashboardExpressions, metricNames, rules } from "./support/infra-files.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
      return { name: match[1]!, labels, value: Number(match[4]) };
    });
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(url);
  expect([url, response.status]).toEqual([url, 200]);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

const find = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));

let stack: Stack;
let harness: Harness;
const scraped: Record<string, Sample[]> = {};

beforeAll(async () => {
  // Rate limiting and the response cache are on (as in production) so their figures are counted too.
  stack = await startStack({
    seed: { users: 4, offers: 4, reviewsPerOffer: 1 },
    label: "metrics",
    gatewayEnv: { RATE_LIMIT_ENABLED: "true", RESPONSE_CACHE_ENABLED: "true" },
  });
  harness = await createHarness("metrics");
  const worker = await harness.startWorker({ WORKER_QUEUES: "maintenance" });

  // Traffic: a named federated query, one that fails validation, one without a name.
  const federated = await stack.query(
    `query ObservedOffers { offers(first: 2) { edges { node { title seller { displayName } rating { average } } } } }`,
  );
  expect(federated.errors).toBeUndefined();
  expect((await stack.query(`query Broken { offers(first: 2) { nope } }`)).errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  await stack.query(`{ offers(first: 1) { totalCount } }`);
  // Deeper than OPERATION_MAX_DEPTH (10): refused by an operation limit, before its name is resolved.
  const deep = `query TooDeep { offers(first: 1) { edges { node { seller { offers(first: 1) { edges { node { seller { offers(first: 1) { edges { node { id } } } } } } } } } } } }`;
  expect((await stack.query(deep)).errors?.[0]?.extensions?.code).toBe("OPERATION_TOO_COMPLEX");

  // Jobs: one completes, one fails for good and is dead-lettered.
  const done = await harness.submit({ type: "NOOP", input: {} });
  const dead = await harness.submit({ type: "NOOP", input: { fail: "unrecoverable" }, maxAttempts: 1 });
  await harness.waitForStatus(done.id, "COMPLETED");
  await harness.waitForStatus(dead.id, "FAILED");

  const base = (url: string) => url.replace(/\/graphql$/, "");
  scraped.gateway = await scrape(`${base(stack.gatewayUrl)}/metrics`);
  for (const [name, url] of Object.entries(stack.subgraphUrls)) scraped[name] = await scrape(`${base(url)}/metrics`);
  // The "failed" event of the dead-lettered job may reach the worker's listeners a moment after the row is FAILED.
  const workerMetrics = worker.healthUrl.replace(/\/health$/, "/metrics");
  for (let attempt = 0; ; attempt++) {
    scraped.workers = await scrape(workerMetrics);
    if (find(scraped.workers, "agora_queue_dead_letters_total", { queue: "maintenance" })[0]?.value === 1 || attempt > 50) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(async () => {
  await harness?.stopAll();
  await harness?.close();
  await stack?.stop();
});

describe("metrics of the running services", () => {
  it("every metric named in a dashboard or an alert exists on some /metrics", () => {
    const exposed = new Set(Object.values(scraped).flatMap((samples) => samples.map((s) => s.name)));
    const recorded = new Set(rules().flatMap((rule) => (rule.record ? [rule.record] : [])));
    const used = [
      ...dashboardExpressions(),
      ...rules().map((rule) => ({ where: `${rule.file}: ${rule.alert ?? rule.record}`, expr: rule.expr })),
    ].flatMap(({ where, expr }) => metricNames(expr).map((name) => ({ where, name })));
    expect(used.length).toBeGreaterThan(50);
    // `up` is Prometheus's own; names with a colon are recording rules of ours.
    const missing = used.filter(({ name }) => name !== "up" && !(name.includes(":") ? recorded.has(name) : exposed.has(name)));
    expect(missing).toEqual([]);
  });

  it("every service and worker labels every Agora series with the same label names", () => {
    const allowed = new Set([
      ...["service", "operation", "subgraph", "queue", "outcome", "state", "pool", "dependency", "le"],
      // The gateway's caches and limits.
      ...["cache", "tier", "decision", "store", "limit"],
    ]);
    for (const [service, samples] of Object.entries(scraped)) {
      const agora = samples.filter((s) => s.name.startsWith("agora_"));
      expect(agora.length).toBeGreaterThan(0);
      for (const sample of agora) {
        expect([sample.name, sample.labels.service]).toEqual([sample.name, service]);
        expect(Object.keys(sample.labels).filter((label) => !allowed.has(label))).toEqual([]);
      }
      // Default process metrics everywhere.
      expect(find(samples, "process_cpu_seconds_total", { service })).toHaveLength(1);
      expect(find(samples, "nodejs_eventloop_lag_p99_seconds", { service })).toHaveLength(1);
    }
  });

  it("counts operations by name and outcome at the gateway, never by query text", () => {
    const requests = find(scraped.gateway!, "agora_graphql_requests_total");
    expect(find(requests, "agora_graphql_requests_total", { operation: "ObservedOffers", outcome: "ok" })[0]?.value).toBe(1);
    // A document that does not validate (Broken, TooDeep) never resolves its operation, so its name is unknown.
    expect(find(requests, "agora_graphql_requests_total", { operation: "anonymous", outcome: "client_error" })[0]?.value).toBe(2);
    expect(find(requests, "agora_graphql_requests_total", { operation: "anonymous", outcome: "ok" })[0]?.value).toBe(1);
    expect(requests.every((s) => !/[{}\s]/.test(s.labels.operation ?? ""))).toBe(true);
    expect(find(scraped.gateway!, "agora_graphql_request_duration_seconds_count", { operation: "ObservedOffers" })[0]?.value).toBe(1);
  });

  it("the gateway reports its caches, rate limits, operation limits, breakers and Redis", () => {
    const gateway = scraped.gateway!;
    // The first sight of each operation misses the memory tier; every lookup is counted by cache, tier and outcome.
    expect(
      find(gateway, "agora_gateway_cache_lookups_total", { cache: "plan", tier: "memory", outcome: "miss" })[0]?.value,
    ).toBeGreaterThan(0);
    expect(find(gateway, "agora_gateway_plans_total")[0]?.value).toBeGreaterThan(0);
    // Each query seen once: cacheable, not yet cached.
    expect(find(gateway, "agora_gateway_response_cache_requests_total", { outcome: "miss" })[0]?.value).toBeGreaterThan(0);
    expect(find(gateway, "agora_gateway_rate_limit_decisions_total", { decision: "allowed", store: "redis" })[0]?.value).toBeGreaterThan(0);
    expect(find(gateway, "agora_gateway_rate_limit_redis_failures_total")[0]?.value).toBe(0);
    expect(find(gateway, "agora_gateway_operation_limit_hits_total", { limit: "depth" })[0]?.value).toBe(1);
    for (const subgraph of ["users", "offers", "reviews", "jobs"])
      expect([subgraph, find(gateway, "agora_gateway_subgraph_breaker_state", { subgraph })[0]?.value]).toEqual([subgraph, 0]);
    expect(find(gateway, "agora_dependency_up", { dependency: "redis" })[0]?.value).toBe(1);
  });

  it("times the gateway's fetches per subgraph", () => {
    for (const subgraph of ["offers", "users", "reviews"]) {
      const fetches = find(scraped.gateway!, "agora_subgraph_fetches_total", { subgraph, outcome: "ok" })[0]?.value ?? 0;
      expect([subgraph, fetches >= 1]).toEqual([subgraph, true]);
      const timed = find(scraped.gateway!, "agora_subgraph_fetch_duration_seconds_count", { subgraph, outcome: "ok" })[0]?.value;
      expect([subgraph, timed]).toEqual([subgraph, fetches]);
    }
  });

  it("subgraphs report their own operations, Postgres pool use and reachability", () => {
    expect(find(scraped.offers!, "agora_graphql_requests_total", { outcome: "ok" }).length).toBeGreaterThan(0);
    for (const name of ["users", "offers", "reviews", "jobs"]) {
      const samples = scraped[name]!;
      expect([name, find(samples, "agora_dependency_up", { dependency: "postgresql" })[0]?.value]).toEqual([name, 1]);
      expect([name, find(samples, "agora_db_pool_max_connections", { pool: "primary" })[0]?.value]).toEqual([name, 5]);
      expect([name, find(samples, "agora_db_pool_connections", { pool: "primary", state: "idle" })]).toEqual([name, [expect.anything()]]);
    }
    expect(find(scraped.jobs!, "agora_dependency_up", { dependency: "redis" })[0]?.value).toBe(1);
    expect(find(scraped.jobs!, "agora_outbox_backlog_jobs")[0]?.value).toBe(0);
    expect(find(scraped.jobs!, "agora_outbox_oldest_age_seconds")[0]?.value).toBe(0);
  });

  it("the worker reports queue depth, wait and processing times, outcomes and dead letters", () => {
    const workers = scraped.workers!;
    const maintenance = { queue: "maintenance" };
    expect(find(workers, "agora_queue_jobs_processed_total", { ...maintenance, outcome: "completed" })[0]?.value).toBe(1);
    expect(find(workers, "agora_queue_jobs_processed_total", { ...maintenance, outcome: "failed" })[0]?.value).toBe(1);
    expect(find(workers, "agora_queue_dead_letters_total", maintenance)[0]?.value).toBe(1);
    expect(find(workers, "agora_queue_job_wait_seconds_count", maintenance)[0]?.value).toBe(2);
    expect(find(workers, "agora_queue_job_processing_seconds_count", { ...maintenance, outcome: "completed" })[0]?.value).toBe(1);
    // Depth of every platform queue, consumed here or not.
    for (const queue of ["image-processing", "analytics", "moderation", "search-index", "maintenance"]) {
      expect([
        queue,
        find(workers, "agora_queue_jobs", { queue })
          .map((s) => s.labels.state)
          .sort(),
      ]).toEqual([queue, ["active", "delayed", "failed", "waiting"]]);
    }
    expect(find(workers, "agora_queue_jobs", { ...maintenance, state: "failed" })[0]?.value).toBe(1);
    expect(find(workers, "agora_dependency_up", { dependency: "redis" })[0]?.value).toBe(1);
    expect(find(workers, "agora_dependency_up", { dependency: "postgresql" })[0]?.value).toBe(1);
    // Workers hold a Postgres pool of their own (job rows, analytics, search index).
    expect(find(workers, "agora_db_pool_max_connections", { pool: "primary" })[0]?.value).toBeGreaterThan(0);
    expect(find(workers, "agora_db_pool_connections", { pool: "primary", state: "in_use" })).toHaveLength(1);
  });
});
