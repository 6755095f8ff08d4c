/**
 * The processes `pnpm bench` and `pnpm bench:tracing` measure: the seeded database, the four
 * subgraphs and gateways, compiled as `pnpm start` runs them (`pnpm build`, then
 * `node --conditions=compiled <package>/dist/index.js`), Hive Gateway, and the measurement of one
 * load against them (CPU ms per request of every process, peak RSS, /metrics before and after).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { applyMigrations } from "@agora/prisma/migrations";
import { ensureDatabase } from "@agora/prisma/ensure-database";
import { benchRoot as root, cpuMs, freePort, peakRssKb, rssKb, runLoad, waitReady, type LoadOptions, type LoadResult } from "./support.js";

export const internalSecret = "bench-internal-secret-0123456789abcdef";
export const jwtSecret = "bench-jwt-secret-0123456789abcdef-0123";
export const subgraphNames = ["users", "offers", "reviews", "jobs"] as const;
export type SubgraphName = (typeof subgraphNames)[number];
export type SubgraphUrls = Record<SubgraphName, string>;

export function build(): void {
  const result = spawnSync(process.execPath, ["--import", "tsx", join(root, "scripts/build.ts")], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error("pnpm build failed");
}

/** Migrates the benchmark database and seeds it when it has no users. */
export async function prepareDatabase(databaseUrl: string): Promise<void> {
  await ensureDatabase(databaseUrl);
  await applyMigrations(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const users = Number((await client.query("SELECT count(*) AS n FROM users.users")).rows[0].n);
  await client.end();
  if (users > 0) return;
  console.log("Seeding the benchmark database…");
  const seeded = spawnSync(process.execPath, ["--import", "tsx", join(root, "prisma/seed.ts")], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: databaseUrl },
    stdio: "inherit",
  });
  if (seeded.status !== 0) throw new Error("seeding failed");
}

/** Every process a bench starts, so one call stops them all, also when the bench fails. */
export class Processes {
  private readonly children: ChildProcess[] = [];

  constructor(private readonly databaseUrl: string) {
    process.on("exit", () => this.stopAll());
  }

  spawn(args: string[], env: Record<string, string>): ChildProcess {
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: {
        ...process.env,
        NODE_OPTIONS: "",
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        DATABASE_URL: this.databaseUrl,
        INTERNAL_SECRET: internalSecret,
        JWT_SECRET: jwtSecret,
        ...env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    });
    this.children.push(child);
    child.on("exit", (code, signal) => {
      if (!this.stopping && code !== 0) console.error(`${args.join(" ")} exited with ${code ?? signal}`);
    });
    return child;
  }

  /** A package's entry point, compiled (what `pnpm start` runs) or from TypeScript through tsx. */
  start(packageDir: string, env: Record<string, string>, runtime: "compiled" | "tsx" = "compiled"): ChildProcess {
    const args =
      runtime === "compiled"
        ? ["--conditions=compiled", "--enable-source-maps", join(root, packageDir, "dist/index.js")]
        : ["--import", "tsx", join(root, packageDir, "src/index.ts")];
    return this.spawn(args, env);
  }

  private stopping = false;
  stop(child: ChildProcess): void {
    child.kill("SIGTERM");
  }
  stopAll(): void {
    this.stopping = true;
    for (const child of this.children) if (child.exitCode === null) child.kill("SIGTERM");
  }
}

/** Starts the four subgraphs on free ports and waits until each is ready. */
export async function startSubgraphs(processes: Processes, env: Record<string, string>) {
  const ports = Object.fromEntries(await Promise.all(subgraphNames.map(async (name) => [name, await freePort()] as const))) as Record<
    SubgraphName,
    number
  >;
  const urls = Object.fromEntries(subgraphNames.map((name) => [name, `http://127.0.0.1:${ports[name]}/graphql`])) as SubgraphUrls;
  const children = {
    users: processes.start("subgraphs/users", { ...env, PORT: String(ports.users) }),
    offers: processes.start("subgraphs/offers", { ...env, PORT: String(ports.offers) }),
    reviews: processes.start("subgraphs/reviews", { ...env, PORT: String(ports.reviews), OFFERS_SUBGRAPH_URL: urls.offers }),
    jobs: processes.start("subgraphs/jobs", { ...env, PORT: String(ports.jobs) }),
  } satisfies Record<SubgraphName, ChildProcess>;
  await Promise.all(subgraphNames.map((name) => waitReady(`http://127.0.0.1:${ports[name]}/health/ready`)));
  return { urls, children };
}

export interface Server {
  name: string;
  child: ChildProcess;
  /** Where GraphQL is served. */
  url: string;
  /** Prometheus metrics, when the server has them. */
  metricsUrl?: string;
  /** Spawn to the first 200 on its readiness endpoint. */
  startupMs: number;
}

/** Starts our gateway against `subgraphs` and times it from spawn to ready. */
export async function startGateway(
  processes: Processes,
  name: string,
  subgraphs: SubgraphUrls,
  env: Record<string, string>,
  runtime: "compiled" | "tsx" = "compiled",
): Promise<Server> {
  const port = await freePort();
  const started = performance.now();
  const child = processes.start(
    "gateway",
    {
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: "127.0.0.1",
      // One address sending at full speed would be rate limited; the limiter has its own benchmark.
      RATE_LIMIT_ENABLED: "false",
      USERS_URL: subgraphs.users,
      OFFERS_URL: subgraphs.offers,
      REVIEWS_URL: subgraphs.reviews,
      JOBS_URL: subgraphs.jobs,
      ...env,
    },
    runtime,
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/health/ready`, 60_000, 20);
  return { name, child, url: `${base}/graphql`, metricsUrl: `${base}/metrics`, startupMs: Math.round(performance.now() - started) };
}

/**
 * Starts Hive Gateway as its CLI runs (`hive-gateway supergraph gateway/supergraph.graphql -p PORT
 * -h 127.0.0.1`, one process), configured by bench/hive/gateway.config.ts: our subgraphs' URLs and
 * the identity headers they require.
 */
export async function startHive(processes: Processes, subgraphs: SubgraphUrls): Promise<Server> {
  const port = await freePort();
  const started = performance.now();
  const bin = join(root, "bench/node_modules/@graphql-hive/gateway/dist/bin.js");
  const child = processes.spawn(
    [
      // The config imports @agora/platform; compiled, as our gateway runs it.
      "--conditions=compiled",
      bin,
      "supergraph",
      join(root, "gateway/supergraph.graphql"),
      "-p",
      String(port),
      "-h",
      "127.0.0.1",
      "--fork",
      "1",
      "-c",
      join(root, "bench/hive/gateway.config.ts"),
    ],
    Object.fromEntries(subgraphNames.map((name) => [`BENCH_${name.toUpperCase()}_URL`, subgraphs[name]])),
  );
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/readiness`, 60_000, 20);
  return { name: "hive", child, url: `${base}/graphql`, startupMs: Math.round(performance.now() - started) };
}

/** Sums of the counters in a Prometheus text exposition, by `name{labels}`. */
export async function scrapeMetrics(url: string | undefined): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  if (!url) return samples;
  const text = await (await fetch(url)).text();
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/**
 * The response cache's hit ratio between two scrapes: hits / (hits + misses) over the series named
 * `agora_gateway_response_cache_*` (a `hit`/`miss` in the name or in an `outcome`/`result` label),
 * or `agora_gateway_cache_lookups_total{cache="response"}`. Null when the gateway has no such series
 * (no response cache) or made no lookups.
 */
export function responseCacheHitRatio(before: Map<string, number>, after: Map<string, number>): number | null {
  let hits = 0;
  let misses = 0;
  let seen = false;
  for (const [series, value] of after) {
    const isResponseCache =
      series.startsWith("agora_gateway_response_cache_") ||
      (series.startsWith("agora_gateway_cache_lookups_total") && series.includes('cache="response"'));
    if (!isResponseCache || series.includes("_bucket") || series.includes("_sum{") || series.includes("_count")) continue;
    const delta = value - (before.get(series) ?? 0);
    const [name = "", labels = ""] = series.split("{");
    const outcome = /(?:outcome|result)="([^"]+)"/.exec(labels)?.[1] ?? name;
    if (/\bhits?\b|_hits?_|_hits?$|^hit$/.test(outcome)) {
      hits += delta;
      seen = true;
    } else if (/\bmiss(es)?\b|_miss(es)?_|_miss(es)?$|^miss$/.test(outcome)) {
      misses += delta;
      seen = true;
    }
  }
  return seen && hits + misses > 0 ? hits / (hits + misses) : null;
}

export interface Measurement extends LoadResult {
  /** CPU ms per measured request of every process, by name (warm-up excluded). */
  cpuPerRequestMs: Record<string, number>;
  /** Highest RSS of the serving process sampled every 100 ms during the measured part. */
  peakRssMiB: number;
  /** The serving process's VmHWM (peak since it started) when the load ended. */
  lifetimePeakRssMiB: number;
  /** Response-cache hit ratio over the measured part; null when there is no response cache. */
  hitRatio: number | null;
}

/**
 * Runs one load against `target` and reads, over its measured part only (after the warm-up), the
 * CPU time every process in `watched` spent per request, the target's peak RSS and its /metrics.
 */
export async function measure(
  target: Server,
  watched: Record<string, ChildProcess>,
  options: Omit<LoadOptions, "url">,
): Promise<Measurement> {
  let before: Record<string, number> = {};
  let metricsBefore = new Map<string, number>();
  let peakKb = 0;
  let sampler: NodeJS.Timeout | undefined;
  const begin = async () => {
    metricsBefore = await scrapeMetrics(target.metricsUrl);
    before = Object.fromEntries(Object.entries(watched).map(([name, p]) => [name, cpuMs(p.pid!)]));
    sampler = setInterval(() => (peakKb = Math.max(peakKb, rssKb(target.child.pid!))), 100);
  };
  let measuring: Promise<void> | undefined;
  const result = await runLoad({ ...options, url: target.url, onMeasureStart: () => void (measuring = begin()) });
  if (!measuring) throw new Error("the load generator never started measuring");
  await measuring;
  const after = Object.fromEntries(Object.entries(watched).map(([name, p]) => [name, cpuMs(p.pid!)]));
  clearInterval(sampler);
  const hitRatio = responseCacheHitRatio(metricsBefore, await scrapeMetrics(target.metricsUrl));
  const cpuPerRequestMs = Object.fromEntries(
    Object.keys(watched).map((name) => [name, Number(((after[name]! - before[name]!) / Math.max(1, result.requests)).toFixed(3))]),
  );
  return {
    ...result,
    cpuPerRequestMs,
    peakRssMiB: Math.round(peakKb / 1024),
    lifetimePeakRssMiB: Math.round(peakRssKb(target.child.pid!) / 1024),
    hitRatio,
  };
}

export { freePort, waitReady };
