/**
 * `pnpm bench:search`: offer search latency and throughput against the plain `offers` listing
 * query as the baseline, side by side in one run, on the seed scaled to SEED_OFFERS (100,000 by
 * default) in a database of its own (BENCH_SEARCH_DATABASE_URL, default agora_bench_search; seeded
 * when it holds a different number of offers). Scenarios: text (with highlights), typo, filter,
 * geo (sorted by distance), facets, and the listing. Load straight at one offers subgraph process
 * (search is that subgraph's alone; the gateway has its own benchmark), from bench/load.ts in a
 * separate process. Writes bench/results/search.json and search.md.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { applyMigrations } from "@agora/prisma/migrations";
import { ensureDatabase } from "@agora/prisma/ensure-database";
import { benchRoot as root, freePort, runLoad, type LoadResult } from "./support.js";

const databaseUrl = process.env.BENCH_SEARCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/agora_bench_search";
const seedOffers = Number(process.env.SEED_OFFERS ?? 100_000);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 15);
const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 3);

const node = "edges { cursor node { id title price { amount currency } category } }";
const scenarios: Record<string, string> = {
  listing: `{ offers(first: 20) { totalCount ${node} } }`,
  text: `{ searchOffers(query: "oak table", first: 20) { totalCount edges { cursor node { id title price { amount currency } category } highlight { title description } } } }`,
  typo: `{ searchOffers(query: "acoustc guitr", first: 20) { totalCount ${node} } }`,
  filter: `{ searchOffers(query: "bike", filter: { category: "vehicles", priceMin: "50", priceMax: "800" }, sort: PRICE_ASC, first: 20) { totalCount ${node} } }`,
  geo: `{ searchOffers(query: "lamp", filter: { near: { lat: 52.52, lng: 13.405, radiusKm: 25 } }, sort: DISTANCE, first: 20) { totalCount edges { cursor distanceKm node { id title } } } }`,
  facets: `{ searchOffers(query: "vintage", filter: { near: { lat: 48.8566, lng: 2.3522, radiusKm: 50 } }, first: 20) { totalCount ${node} facets { categories { category count } price { min max count } distance { fromKm toKm count } } } }`,
};

const load = (url: string, query: string): Promise<LoadResult> =>
  runLoad({ url, body: JSON.stringify({ query }), connections, durationSec, warmupSec });

// 1. Data: the seed at SEED_OFFERS offers (reviews are not searched: none, to seed faster).
await ensureDatabase(databaseUrl);
await applyMigrations(databaseUrl);
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const offerCount = Number((await client.query("SELECT count(*) AS n FROM offers.offers")).rows[0].n);
if (offerCount !== seedOffers) {
  console.log(`Seeding ${seedOffers} offers into ${new URL(databaseUrl).pathname.slice(1)} (has ${offerCount})…`);
  const seeded = spawnSync(process.execPath, ["--import", "tsx", join(root, "prisma/seed.ts")], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      DATABASE_URL: databaseUrl,
      SEED_OFFERS: String(seedOffers),
      SEED_REVIEWS_PER_OFFER: "0",
      SEED_FORCE: "1",
    },
    stdio: "inherit",
  });
  if (seeded.status !== 0) throw new Error("seeding failed");
  await client.query("VACUUM ANALYZE offers.offers");
  await client.query("ANALYZE offers.search_words");
}
await client.end();

// 2. One offers subgraph on Postgres search.
const port = await freePort();
const { ELASTICSEARCH_URL: _elasticsearch, ...env } = process.env;
const offers: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(root, "subgraphs/offers/src/index.ts")], {
  cwd: root,
  env: {
    ...env,
    NODE_OPTIONS: "",
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    DATABASE_URL: databaseUrl,
    REDIS_KEY_PREFIX: `agora-bench-search:${Date.now()}:`,
    INTERNAL_SECRET: "bench-internal-secret-0123456789abcdef",
    JWT_SECRET: "bench-jwt-secret-0123456789abcdef-0123",
    PORT: String(port),
    HOST: "127.0.0.1",
  },
  stdio: ["ignore", "inherit", "inherit"],
});
process.on("exit", () => offers.kill("SIGTERM"));
const url = `http://127.0.0.1:${port}/graphql`;
for (let deadline = Date.now() + 60_000; ;) {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __typename }" }),
    });
    if (response.ok) break;
  } catch {
    // not up yet
  }
  if (Date.now() > deadline) throw new Error("the offers subgraph did not start");
  await new Promise((r) => setTimeout(r, 250));
}
// Each query must answer without errors (and find something) before it is measured.
for (const [name, query] of Object.entries(scenarios)) {
  const body = (await (
    await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query }) })
  ).json()) as { errors?: unknown; data?: Record<string, { totalCount: number }> };
  if (body.errors) throw new Error(`${name}: ${JSON.stringify(body.errors)}`);
  console.log(`${name}: ${Object.values(body.data ?? {})[0]?.totalCount ?? 0} matches`);
}

// 3. Load, one scenario after the other.
console.log(`Load: ${connections} connections, ${durationSec} s per scenario (+${warmupSec} s warm-up).`);
const results: Record<string, LoadResult> = {};
for (const [name, query] of Object.entries(scenarios)) results[name] = await load(url, query);
offers.kill("SIGTERM");

const baseline = results.listing;
const rows = Object.entries(results).map(
  ([name, r]) =>
    `| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${baseline ? (r.p95 / Math.max(baseline.p95, 0.1)).toFixed(2) : "-"} | ${r.errors} |`,
);
const report = [
  `Search benchmark, ${new Date().toISOString()}, ${seedOffers} offers, Postgres search, ${connections} connections, ${durationSec} s per scenario`,
  "",
  "| scenario | req/s | p50 ms | p95 ms | p99 ms | p95 / listing p95 | errors |",
  "|---|---|---|---|---|---|---|",
  ...rows,
  "",
  "Aim: every search scenario's p95 within 3× the listing's.",
].join("\n");
console.log(`\n${report}\n`);
writeFileSync(
  join(root, "bench/results/search.json"),
  JSON.stringify({ date: new Date().toISOString(), seedOffers, connections, durationSec, results }, null, 2),
);
writeFileSync(join(root, "bench/results/search.md"), report + "\n");
process.exit(0);
