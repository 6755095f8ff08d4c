/**
 * `pnpm bench`: gateway benchmark, side by side in one run.
 *
 *  1. federated  – the README's federated offers query through the gateway
 *  2. offers-gw  – an offers-only query through the gateway
 *  3. offers-direct – the same offers-only query straight at the offers subgraph
 *  4. federated-tsx – the federated query through a second gateway run from TypeScript through tsx
 *     (how every service ran before `pnpm build`), for startup time and peak RSS side by side; the
 *     two federated scenarios run twice, alternating (federated-2, federated-tsx-2)
 *
 * Services run compiled (`pnpm build` first; `node --conditions=compiled <package>/dist/index.js`).
 * Starts its own subgraphs and gateway as separate processes on free ports against a seeded
 * database (BENCH_DATABASE_URL, default agora_bench, migrated and seeded when empty), drives load
 * from a separate process (bench/load.ts, autocannon), samples the gateway's peak RSS, and writes
 * bench/results/gateway.json and gateway.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { applyMigrations } from "@agora/prisma/migrations";
import { ensureDatabase } from "@agora/prisma/ensure-database";
import { benchRoot as root, cpuMs, freePort, rssKb, runLoad, waitReady, type LoadResult } from "./support.js";

const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/agora_bench";
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 15);
const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 3);

const federatedQuery =
  "{ offers(first: 5) { totalCount edges { node { title price { amount currency } seller { displayName } rating { average count } reviews(first: 3) { edges { node { rating author { displayName } } } } } } } }";
const offersOnlyQuery = "{ offers(first: 5) { totalCount edges { node { id title price { amount currency } category createdAt } } } }";

const build = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/build.ts")], { cwd: root, stdio: "inherit" });
if (build.status !== 0) throw new Error("pnpm build failed");

const children: ChildProcess[] = [];
/** Starts a package's entry point, compiled (the default) or from TypeScript through tsx. */
function start(packageDir: string, env: Record<string, string>, runtime: "compiled" | "tsx" = "compiled"): ChildProcess {
  const args =
    runtime === "compiled"
      ? ["--conditions=compiled", "--enable-source-maps", join(root, packageDir, "dist/index.js")]
      : ["--import", "tsx", join(root, packageDir, "src/index.ts")];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      DATABASE_URL: databaseUrl,
      INTERNAL_SECRET: "bench-internal-secret-0123456789abcdef",
      JWT_SECRET: "bench-jwt-secret-0123456789abcdef-0123",
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(child);
  return child;
}
const stopAll = () => children.forEach((c) => c.kill("SIGTERM"));
process.on("exit", stopAll);

/** Runs one load in its own process (see support.ts). */
const load = (url: string, query: string): Promise<LoadResult> =>
  runLoad({ url, body: JSON.stringify({ query }), connections, durationSec, warmupSec });

// 1. Data
await ensureDatabase(databaseUrl);
await applyMigrations(databaseUrl);
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const users = Number((await client.query("SELECT count(*) AS n FROM users.users")).rows[0].n);
await client.end();
if (users === 0) {
  console.log("Seeding the benchmark database…");
  const seeded = spawnSync(process.execPath, ["--import", "tsx", join(root, "prisma/seed.ts")], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: databaseUrl },
    stdio: "inherit",
  });
  if (seeded.status !== 0) throw new Error("seeding failed");
}

// 2. Services
const ports = {
  users: await freePort(),
  offers: await freePort(),
  reviews: await freePort(),
  jobs: await freePort(),
  gateway: await freePort(),
  gatewayTsx: await freePort(),
};
const subgraphUrl = (name: keyof typeof ports) => `http://127.0.0.1:${ports[name]}/graphql`;
const shared = { REDIS_KEY_PREFIX: `agora-bench:${Date.now()}:`, OUTBOX_POLL_MS: "60000", STORAGE_DIR: join(root, "storage", "bench") };
const processes: Record<string, ChildProcess> = {
  users: start("subgraphs/users", { ...shared, PORT: String(ports.users) }),
  offers: start("subgraphs/offers", { ...shared, PORT: String(ports.offers) }),
  reviews: start("subgraphs/reviews", { ...shared, PORT: String(ports.reviews), OFFERS_SUBGRAPH_URL: subgraphUrl("offers") }),
  jobs: start("subgraphs/jobs", { ...shared, PORT: String(ports.jobs) }),
};
await Promise.all(
  (["users", "offers", "reviews", "jobs"] as const).map((name) => waitReady(`http://127.0.0.1:${ports[name]}/health/ready`)),
);

/** Starts a gateway and times it from spawn to its first 200 on /health/ready. */
async function startGateway(port: number, runtime: "compiled" | "tsx") {
  const started = performance.now();
  const child = start(
    "gateway",
    {
      GATEWAY_PORT: String(port),
      // One address sending at full speed would be rate limited; the limiter has its own benchmark.
      RATE_LIMIT_ENABLED: "false",
      USERS_URL: subgraphUrl("users"),
      OFFERS_URL: subgraphUrl("offers"),
      REVIEWS_URL: subgraphUrl("reviews"),
      JOBS_URL: subgraphUrl("jobs"),
    },
    runtime,
  );
  await waitReady(`http://127.0.0.1:${port}/health/ready`, 60_000, 20);
  return { child, startupMs: Math.round(performance.now() - started) };
}
// One after the other, so neither start competes with the other for CPU.
const compiledGateway = await startGateway(ports.gateway, "compiled");
const tsxGateway = await startGateway(ports.gatewayTsx, "tsx");
const gateway = compiledGateway.child;
processes.gateway = gateway;

/**
 * Runs one scenario and adds the CPU time each service process spent per request, and the peak
 * RSS of the process that served it (`target`), sampled every 100 ms during the scenario.
 */
async function measure(url: string, query: string, target: ChildProcess) {
  const before = Object.fromEntries(Object.entries(processes).map(([name, p]) => [name, cpuMs(p.pid!)]));
  let peakRssKb = 0;
  const sampler = setInterval(() => (peakRssKb = Math.max(peakRssKb, rssKb(target.pid!))), 100);
  const result = await load(url, query);
  clearInterval(sampler);
  const total = result.requests + result.rps * warmupSec; // warm-up requests burn CPU too
  const cpuPerRequestMs = Object.fromEntries(
    Object.entries(processes).map(([name, p]) => [name, Number(((cpuMs(p.pid!) - before[name]!) / total).toFixed(2))]),
  );
  return { ...result, cpuPerRequestMs, peakRssMiB: Math.round(peakRssKb / 1024) };
}

// 3. Load, one scenario after the other, same machine, same run.
const gatewayUrl = `http://127.0.0.1:${ports.gateway}/graphql`;
console.log(`Load: ${connections} connections, ${durationSec} s per scenario (+${warmupSec} s warm-up), generator in a separate process.`);
processes.gatewayTsx = tsxGateway.child;
const scenarios = {
  // Compiled and tsx twice each, alternating: the first scenario of a run also warms the subgraphs
  // and Postgres, which would otherwise favour whichever gateway goes second.
  federated: await measure(gatewayUrl, federatedQuery, gateway),
  "federated-tsx": await measure(`http://127.0.0.1:${ports.gatewayTsx}/graphql`, federatedQuery, tsxGateway.child),
  "federated-2": await measure(gatewayUrl, federatedQuery, gateway),
  "federated-tsx-2": await measure(`http://127.0.0.1:${ports.gatewayTsx}/graphql`, federatedQuery, tsxGateway.child),
  "offers-gw": await measure(gatewayUrl, offersOnlyQuery, gateway),
  "offers-direct": await measure(subgraphUrl("offers"), offersOnlyQuery, processes.offers!),
};
stopAll();

const ratio = scenarios["offers-gw"].rps / scenarios["offers-direct"].rps;
const rows = Object.entries(scenarios).map(
  ([name, s]) =>
    `| ${name} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(1)} | ${s.p95.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.errors} | ${s.peakRssMiB} | ${Object.entries(
      s.cpuPerRequestMs,
    )
      .filter(([, ms]) => ms > 0)
      .map(([n, ms]) => `${n} ${ms}`)
      .join(", ")} |`,
);
const report = [
  `Gateway benchmark, ${new Date().toISOString()}, ${connections} connections, ${durationSec} s per scenario`,
  "",
  "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | peak RSS MiB (serving process) | CPU ms per request, by process |",
  "|---|---|---|---|---|---|---|---|",
  ...rows,
  "",
  `offers-only through the gateway / straight at the subgraph: ${ratio.toFixed(2)} (aim ≥ 0.5)`,
  `federated p95: ${scenarios.federated.p95.toFixed(1)} ms (aim < 200 ms)`,
  `gateway peak RSS under the federated query: ${Math.max(scenarios.federated.peakRssMiB, scenarios["federated-2"].peakRssMiB)} MiB compiled, ${Math.max(scenarios["federated-tsx"].peakRssMiB, scenarios["federated-tsx-2"].peakRssMiB)} MiB through tsx`,
  `gateway startup (spawn to ready): ${compiledGateway.startupMs} ms compiled, ${tsxGateway.startupMs} ms through tsx`,
].join("\n");
console.log(`\n${report}\n`);
writeFileSync(
  join(root, "bench/results/gateway.json"),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      connections,
      durationSec,
      scenarios,
      ratio,
      gatewayStartupMs: { compiled: compiledGateway.startupMs, tsx: tsxGateway.startupMs },
    },
    null,
    2,
  ),
);
writeFileSync(join(root, "bench/results/gateway.md"), report + "\n");
process.exit(0);
