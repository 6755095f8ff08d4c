/**
 * `pnpm bench`: our gateway three ways and Hive Gateway 2.15, side by side in one run, on the same
 * subgraphs, supergraph and database:
 *
 *  - caches-off – `SUBGRAPH_DEDUPLICATION=false PLAN_CACHE_SHARED=false APQ_ENABLED=false RESPONSE_CACHE_ENABLED=false`
 *  - caches-on  – plan cache (shared), APQ (clients send hashes) and deduplication; no response cache
 *  - response-cache – all of the above and `RESPONSE_CACHE_ENABLED=true`
 *  - hive       – `hive-gateway supergraph gateway/supergraph.graphql` (bench/hive/gateway.config.ts)
 *
 * on three loads of `BENCH_CONNECTIONS` connections: (a) the README's federated query, (b) a varied
 * federated mix, (c) a read-heavy mix with 10 % writes (bench/gateway-operations.ts); and, under (a),
 * a bare node:http server answering with the bytes of a response-cache hit (the ceiling).
 *
 * Every load runs `BENCH_ROUNDS` times; the order of the gateways is reversed every round, so none
 * always goes first (warming Postgres and the subgraphs) or last. Figures are the medians of the rounds.
 * Services run compiled (`pnpm build` first), load comes from a separate process (bench/load.ts,
 * autocannon), and any error or GraphQL error answer fails the bench: a failing run is not a figure.
 * Writes bench/results/gateway.json and gateway.md.
 */
import { writeFileSync, mkdtempSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  federatedQuery,
  loadHotSet,
  persisted,
  probes,
  readHeavyMix,
  registerPersisted,
  restoreHotSet,
  sameQuery,
  variedMix,
  type PooledRequest,
} from "./gateway-operations.js";
import {
  build,
  measure,
  prepareDatabase,
  Processes,
  startGateway,
  startHive,
  startSubgraphs,
  type Measurement,
  type Server,
} from "./services.js";
import { benchRoot as root, freePort, median, waitReady } from "./support.js";

const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/agora_bench";
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 10);
const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const flags = (dedup: boolean, shared: boolean, apq: boolean, responseCache: boolean) => ({
  SUBGRAPH_DEDUPLICATION: String(dedup),
  PLAN_CACHE_SHARED: String(shared),
  APQ_ENABLED: String(apq),
  RESPONSE_CACHE_ENABLED: String(responseCache),
});
const scenarioNames = ["caches-off", "caches-on", "response-cache", "hive"] as const;
type ScenarioName = (typeof scenarioNames)[number];
const loadNames = ["a-same-query", "b-varied-mix", "c-read-heavy", "c2-read-heavy-anonymous"] as const;
type LoadName = (typeof loadNames)[number];

build();
// Neighbours' load is part of the result on a shared machine: recorded at the start and the end.
const loadAverageAtStart = loadavg()[0]!;
await prepareDatabase(databaseUrl);
const processes = new Processes(databaseUrl);
// One key prefix for every process: whatever the subgraphs publish in Redis (live events, and
// invalidations if the response cache listens to them) reaches every gateway.
const shared = { REDIS_KEY_PREFIX: `agora-bench:${Date.now()}:`, OUTBOX_POLL_MS: "60000", STORAGE_DIR: join(root, "storage", "bench") };
const subgraphs = await startSubgraphs(processes, shared);
const hot = await loadHotSet(databaseUrl);

// One after the other, so no start competes with another for CPU.
const servers: Record<ScenarioName, Server> = {
  "caches-off": await startGateway(processes, "caches-off", subgraphs.urls, { ...shared, ...flags(false, false, false, false) }),
  "caches-on": await startGateway(processes, "caches-on", subgraphs.urls, { ...shared, ...flags(true, true, true, false) }),
  "response-cache": await startGateway(processes, "response-cache", subgraphs.urls, { ...shared, ...flags(true, true, true, true) }),
  hive: await startHive(processes, subgraphs.urls),
};
// How every service ran before `pnpm build`: started once for its startup time, then stopped.
const tsxGateway = await startGateway(processes, "tsx", subgraphs.urls, { ...shared, ...flags(false, false, false, false) }, "tsx");
processes.stop(tsxGateway.child);

async function post(url: string, request: PooledRequest) {
  const answer = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...request.headers },
    body: request.body,
  });
  return {
    status: answer.status,
    contentType: answer.headers.get("content-type") ?? "application/json",
    bytes: Buffer.from(await answer.arrayBuffer()),
  };
}

// Every gateway must give the same answers before any of them is measured.
for (const { name, request } of probes(hot)) {
  const reference = await post(servers["caches-off"].url, request);
  const expected = JSON.parse(reference.bytes.toString()) as { data?: Record<string, unknown>; errors?: unknown };
  if (reference.status !== 200 || expected.errors || !expected.data || Object.values(expected.data).includes(null)) {
    throw new Error(
      `caches-off gateway: ${name} did not answer with data: ${reference.status} ${reference.bytes.toString().slice(0, 500)}`,
    );
  }
  for (const scenario of scenarioNames.slice(1)) {
    const answer = await post(servers[scenario].url, request);
    const got = JSON.parse(answer.bytes.toString()) as { data?: unknown; errors?: unknown };
    if (answer.status !== 200 || got.errors || JSON.stringify(got.data) !== JSON.stringify(expected.data)) {
      throw new Error(
        `${scenario} answers ${name} differently from our gateway:\n  ours: ${reference.bytes.toString().slice(0, 400)}\n  ${scenario}: ${answer.status} ${answer.bytes.toString().slice(0, 400)}`,
      );
    }
  }
}
console.log(`All four gateways answer the ${probes(hot).length} probe operations with the same data.`);

const pools: Record<LoadName, PooledRequest[]> = {
  "a-same-query": sameQuery(),
  "b-varied-mix": variedMix(hot),
  "c-read-heavy": readHeavyMix(hot),
  "c2-read-heavy-anonymous": readHeavyMix(hot, 1000, "anonymous"),
};
/** Clients of the gateways with APQ send hashes (registered here once); the others send the text. */
const usesApq = (scenario: ScenarioName) => scenario === "caches-on" || scenario === "response-cache";
for (const scenario of scenarioNames.filter(usesApq))
  for (const pool of Object.values(pools)) await registerPersisted(servers[scenario].url, pool);

// The ceiling: the exact bytes of a response-cache hit (the second identical request), from a bare server.
await post(servers["response-cache"].url, { body: JSON.stringify({ query: federatedQuery }) });
const hit = await post(servers["response-cache"].url, { body: JSON.stringify({ query: federatedQuery }) });
const hitFile = join(mkdtempSync(join(tmpdir(), "agora-bench-hit-")), "hit.json");
writeFileSync(hitFile, JSON.stringify({ contentType: hit.contentType, body: hit.bytes.toString("base64") }));
const ceilingPort = await freePort();
const ceiling: Server = {
  name: "ceiling",
  child: processes.spawn(["--import", "tsx", join(root, "bench/ceiling-server.ts"), String(ceilingPort), hitFile], {}),
  url: `http://127.0.0.1:${ceilingPort}/`,
  startupMs: 0,
};
await waitReady(ceiling.url);

const subgraphProcesses = subgraphs.children;
const results: Record<string, Measurement[]> = {};
const record = (key: string, measurement: Measurement) => {
  if (measurement.errors > 0 || (measurement.graphqlErrors ?? 0) > 0) {
    throw new Error(
      `${key}: ${measurement.errors} failed requests and ${measurement.graphqlErrors ?? 0} GraphQL error answers (see stderr above); not a figure`,
    );
  }
  (results[key] ??= []).push(measurement);
  console.log(
    `  ${key}: ${measurement.rps.toFixed(0)} req/s, p95 ${measurement.p95} ms, gateway CPU ${measurement.cpuPerRequestMs.gateway ?? measurement.cpuPerRequestMs.ceiling} ms/req`,
  );
};

console.log(
  `Load: ${connections} connections, ${durationSec} s per measurement (+${warmupSec} s warm-up), ${rounds} rounds, generator in a separate process.`,
);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? [...scenarioNames] : [...scenarioNames].reverse();
  console.log(`Round ${round + 1}: ${order.join(", ")}`);
  for (const load of loadNames) {
    for (const scenario of order) {
      const server = servers[scenario];
      const requests = usesApq(scenario) ? persisted(pools[load]) : pools[load];
      const measurement = await measure(
        server,
        { gateway: server.child, ...subgraphProcesses },
        { requests, connections, durationSec, warmupSec, graphql: true },
      );
      record(`${scenario} × ${load}`, measurement);
      if (load === "a-same-query" && scenario === "response-cache") {
        record(
          `ceiling × ${load}`,
          await measure(ceiling, { ceiling: ceiling.child }, { body: "{}", connections, durationSec, warmupSec }),
        );
      }
    }
  }
}
await restoreHotSet(servers["caches-off"].url, hot);
const lifetimePeakRssMiB = Object.fromEntries(
  scenarioNames.map((scenario) => [
    scenario,
    Math.max(
      ...Object.entries(results)
        .filter(([key]) => key.startsWith(`${scenario} ×`))
        .flatMap(([, ms]) => ms.map((m) => m.lifetimePeakRssMiB)),
    ),
  ]),
) as Record<ScenarioName, number>;
processes.stopAll();

const summary = Object.fromEntries(
  Object.entries(results).map(([key, ms]) => {
    const cpu = Object.fromEntries(
      Object.keys(ms[0]!.cpuPerRequestMs).map((name) => [name, Number(median(ms.map((m) => m.cpuPerRequestMs[name]!)).toFixed(3))]),
    );
    const ratios = ms.map((m) => m.hitRatio).filter((r): r is number => r !== null);
    return [
      key,
      {
        rps: median(ms.map((m) => m.rps)),
        p50: median(ms.map((m) => m.p50)),
        p95: median(ms.map((m) => m.p95)),
        p99: median(ms.map((m) => m.p99)),
        errors: ms.reduce((n, m) => n + m.errors + (m.graphqlErrors ?? 0), 0),
        requests: ms.reduce((n, m) => n + m.requests, 0),
        cpuPerRequestMs: cpu,
        peakRssMiB: Math.max(...ms.map((m) => m.peakRssMiB)),
        hitRatio: ratios.length === ms.length ? median(ratios) : null,
      },
    ];
  }),
);
const s = (scenario: string, load: LoadName) => summary[`${scenario} × ${load}`]!;
/** Our gateway's figure over Hive's, round by round (the two ran within a minute of each other). */
const perRound = (scenario: ScenarioName, load: LoadName, figure: (m: Measurement) => number) =>
  results[`${scenario} × ${load}`]!.map((m, i) => figure(m) / figure(results[`hive × ${load}`]![i]!));
const cpuTotal = (cpu: Record<string, number>) =>
  (cpu.gateway ?? 0) + (cpu.users ?? 0) + (cpu.offers ?? 0) + (cpu.reviews ?? 0) + (cpu.jobs ?? 0);
const fixed = (n: number, digits = 2) => n.toFixed(digits);
const pct = (r: number | null) => (r === null ? "n/a" : `${(r * 100).toFixed(1)} %`);

const ratios = {
  offVsHiveRps: {
    a: s("caches-off", "a-same-query").rps / s("hive", "a-same-query").rps,
    b: s("caches-off", "b-varied-mix").rps / s("hive", "b-varied-mix").rps,
  },
  offVsHiveRpsPerRound: {
    a: perRound("caches-off", "a-same-query", (m) => m.rps),
    b: perRound("caches-off", "b-varied-mix", (m) => m.rps),
  },
  offVsHiveGatewayCpu: {
    a: s("caches-off", "a-same-query").cpuPerRequestMs.gateway! / s("hive", "a-same-query").cpuPerRequestMs.gateway!,
    b: s("caches-off", "b-varied-mix").cpuPerRequestMs.gateway! / s("hive", "b-varied-mix").cpuPerRequestMs.gateway!,
  },
  offVsHiveTotalCpu: {
    a: cpuTotal(s("caches-off", "a-same-query").cpuPerRequestMs) / cpuTotal(s("hive", "a-same-query").cpuPerRequestMs),
    b: cpuTotal(s("caches-off", "b-varied-mix").cpuPerRequestMs) / cpuTotal(s("hive", "b-varied-mix").cpuPerRequestMs),
  },
  onVsHiveRps: {
    a: s("caches-on", "a-same-query").rps / s("hive", "a-same-query").rps,
    b: s("caches-on", "b-varied-mix").rps / s("hive", "b-varied-mix").rps,
  },
  offVsHiveP95: {
    a: s("caches-off", "a-same-query").p95 / s("hive", "a-same-query").p95,
    b: s("caches-off", "b-varied-mix").p95 / s("hive", "b-varied-mix").p95,
  },
  readHeavyHitRatio: s("response-cache", "c-read-heavy").hitRatio,
  readHeavyP95: s("response-cache", "c-read-heavy").p95,
  anonymousReadHeavyHitRatio: s("response-cache", "c2-read-heavy-anonymous").hitRatio,
  anonymousReadHeavyP95: s("response-cache", "c2-read-heavy-anonymous").p95,
  hitVsCeilingRps: s("ceiling", "a-same-query").rps / s("response-cache", "a-same-query").rps,
  hitVsCeilingCpu: s("response-cache", "a-same-query").cpuPerRequestMs.gateway! / s("ceiling", "a-same-query").cpuPerRequestMs.ceiling!,
  hitRatioUnderA: s("response-cache", "a-same-query").hitRatio,
  peakRssVsHive: Object.fromEntries(scenarioNames.slice(0, 3).map((n) => [n, lifetimePeakRssMiB[n] / lifetimePeakRssMiB.hive])),
};

const rows = Object.entries(summary).map(([key, m]) => {
  const [scenario, load] = key.split(" × ");
  const cpu = m.cpuPerRequestMs;
  return `| ${scenario} | ${load} | ${fixed(m.rps, 0)} | ${fixed(m.p50, 1)} | ${fixed(m.p95, 1)} | ${fixed(m.p99, 1)} | ${m.errors} | ${cpu.gateway ?? cpu.ceiling} | ${["users", "offers", "reviews", "jobs"].map((n) => cpu[n] ?? "–").join(" / ")} | ${m.peakRssMiB} | ${scenario === "response-cache" ? pct(m.hitRatio) : "–"} |`;
});
const mark = (ok: boolean) => (ok ? "met" : "NOT met");
const report = [
  `# Gateway benchmark`,
  "",
  `${new Date().toISOString()}; ${connections} connections; ${durationSec} s per measurement after ${warmupSec} s warm-up; ${rounds} rounds, gateway order reversed every round; figures are the medians of the rounds. Command: \`pnpm bench\`. Machine: ${cpus().length} cores shared with other work, load average ${fixed(loadAverageAtStart, 1)} at the start and ${fixed(loadavg()[0]!, 1)} at the end.`,
  "",
  "Scenarios: **caches-off** (`SUBGRAPH_DEDUPLICATION=false PLAN_CACHE_SHARED=false APQ_ENABLED=false RESPONSE_CACHE_ENABLED=false`), **caches-on** (plan cache shared, APQ with clients sending hashes, deduplication; `RESPONSE_CACHE_ENABLED=false`), **response-cache** (all on), **hive** (Hive Gateway 2.15.1, one process, bench/hive/gateway.config.ts), **ceiling** (a bare node:http server sending the bytes of a response-cache hit). Loads: (a) the README's federated query; (b) 4 federated operations, `first` 1–10, 200 offers, 100 users; (c) 90 % reads of page one / its offers / its sellers, 10 % updateOffer / updateProfile / updateReview on exactly those, all signed in (signed-in readers get entries of their own: plugins/response-cache.ts); (c2) the same with the reads not signed in (shoppers browsing), the writes still by the sellers and reviewers.",
  "",
  "| scenario | load | req/s | p50 ms | p95 ms | p99 ms | errors | gateway CPU ms/req | subgraph CPU ms/req (users / offers / reviews / jobs) | peak RSS MiB | response-cache hit ratio |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
  ...rows,
  "",
  "Aims (issue 8), from this run:",
  "",
  `- caches-off vs Hive, req/s: (a) ${fixed(ratios.offVsHiveRps.a)}×, (b) ${fixed(ratios.offVsHiveRps.b)}× (aim ≥ 1.1×: ${mark(ratios.offVsHiveRps.a >= 1.1 && ratios.offVsHiveRps.b >= 1.1)})`,
  `- caches-off vs Hive, p95: (a) ${fixed(ratios.offVsHiveP95.a)}×, (b) ${fixed(ratios.offVsHiveP95.b)}× (aim ≤ 0.8×: ${mark(ratios.offVsHiveP95.a <= 0.8 && ratios.offVsHiveP95.b <= 0.8)})`,
  `  - round by round, req/s: (a) ${ratios.offVsHiveRpsPerRound.a.map((r) => `${fixed(r)}×`).join(", ")}; (b) ${ratios.offVsHiveRpsPerRound.b.map((r) => `${fixed(r)}×`).join(", ")}`,
  `  - CPU ms per request, which neighbours' load moves far less than req/s: gateway (a) ${fixed(ratios.offVsHiveGatewayCpu.a)}×, (b) ${fixed(ratios.offVsHiveGatewayCpu.b)}× of Hive's; gateway and subgraphs together (a) ${fixed(ratios.offVsHiveTotalCpu.a)}×, (b) ${fixed(ratios.offVsHiveTotalCpu.b)}×`,
  `- for comparison, caches-on vs Hive, req/s: (a) ${fixed(ratios.onVsHiveRps.a)}×, (b) ${fixed(ratios.onVsHiveRps.b)}×`,
  `- read-heavy (c) with the response cache: hit ratio ${pct(ratios.readHeavyHitRatio)} (aim > 80 %: ${ratios.readHeavyHitRatio === null ? "n/a, the gateway exports no agora_gateway_response_cache_* counters" : mark(ratios.readHeavyHitRatio > 0.8)}), p95 ${fixed(ratios.readHeavyP95, 1)} ms (aim < 200 ms: ${mark(ratios.readHeavyP95 < 200)})`,
  `- read-heavy with anonymous readers (c2), response cache: hit ratio ${pct(ratios.anonymousReadHeavyHitRatio)} (aim > 80 %: ${ratios.anonymousReadHeavyHitRatio === null ? "n/a" : mark(ratios.anonymousReadHeavyHitRatio > 0.8)}), p95 ${fixed(ratios.anonymousReadHeavyP95, 1)} ms (aim < 200 ms: ${mark(ratios.anonymousReadHeavyP95 < 200)})`,
  `- cache hit cost vs the ceiling under (a): ${fixed(ratios.hitVsCeilingRps)}× fewer req/s, ${fixed(ratios.hitVsCeilingCpu)}× the CPU ms per request (aim ≤ 2×: ${mark(ratios.hitVsCeilingRps <= 2 && ratios.hitVsCeilingCpu <= 2)})${ratios.hitRatioUnderA === null ? "; the response-cache hit ratio under (a) is n/a, so this compares a full execution with the ceiling, not a cache hit" : `; hit ratio under (a) ${pct(ratios.hitRatioUnderA)}`}`,
  `- gateway peak RSS (VmHWM over the whole run): ${scenarioNames.map((n) => `${n} ${lifetimePeakRssMiB[n]} MiB`).join(", ")}; ours vs Hive ${scenarioNames
    .slice(0, 3)
    .map((n) => `${fixed(ratios.peakRssVsHive[n]!)}×`)
    .join(" / ")}`,
  `- gateway startup (spawn to ready): ${scenarioNames.map((n) => `${n} ${servers[n].startupMs} ms`).join(", ")}; our gateway through tsx ${tsxGateway.startupMs} ms`,
].join("\n");
console.log(`\n${report}\n`);
writeFileSync(
  join(root, "bench/results/gateway.json"),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      connections,
      durationSec,
      warmupSec,
      rounds,
      summary,
      ratios,
      lifetimePeakRssMiB,
      loadAverage: { start: loadAverageAtStart, end: loadavg()[0] },
      startupMs: { ...Object.fromEntries(scenarioNames.map((n) => [n, servers[n].startupMs])), tsx: tsxGateway.startupMs },
      rounds_: results,
    },
    null,
    2,
  ),
);
writeFileSync(join(root, "bench/results/gateway.md"), report + "\n");
process.exit(0);
