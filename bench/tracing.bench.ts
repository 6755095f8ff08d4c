/**
 * `pnpm bench:tracing`: what tracing costs, side by side in one run. Three copies of the platform
 * (four subgraphs and a gateway each, compiled) run load (a), the README's federated query:
 *
 *  - off  – `OTEL_TRACES_EXPORTER=none`
 *  - 100% – `OTEL_TRACES_EXPORTER=otlp OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=1`
 *  - 10%  – the same with `OTEL_TRACES_SAMPLER_ARG=0.1`
 *
 * each exporting to its own stand-in collector (bench/otlp-receiver.ts, `OTEL_EXPORTER_OTLP_ENDPOINT`),
 * whose received bytes show whether tracing was on at all. The gateways run with their caches off
 * (as `pnpm bench`'s caches-off), so every request goes through every subgraph and is traced whole.
 * Rounds and their reversed order as in `pnpm bench`. Writes bench/results/tracing.json and tracing.md.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { sameQuery } from "./gateway-operations.js";
import { build, measure, prepareDatabase, Processes, startGateway, startSubgraphs, type Measurement, type Server } from "./services.js";
import { benchRoot as root, freePort, median, waitReady } from "./support.js";

const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/agora_bench";
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 10);
const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
/** How long to wait after a load for the batch span processor (5 s schedule by default) to export. */
const flushWaitMs = 6000;

const variants = { off: null, "100%": "1", "10%": "0.1" } as const;
type Variant = keyof typeof variants;

build();
const loadAverageAtStart = loadavg()[0]!;
await prepareDatabase(databaseUrl);
const processes = new Processes(databaseUrl);

interface Platform {
  gateway: Server;
  subgraphs: Awaited<ReturnType<typeof startSubgraphs>>["children"];
  receiver: string;
}
const platforms = {} as Record<Variant, Platform>;
for (const [variant, ratio] of Object.entries(variants) as [Variant, string | null][]) {
  const receiverPort = await freePort();
  processes.spawn(["--import", "tsx", join(root, "bench/otlp-receiver.ts"), String(receiverPort)], {});
  const receiver = `http://127.0.0.1:${receiverPort}`;
  await waitReady(`${receiver}/stats`);
  const otel: Record<string, string> = ratio
    ? {
        OTEL_TRACES_EXPORTER: "otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
        OTEL_TRACES_SAMPLER_ARG: ratio,
      }
    : { OTEL_TRACES_EXPORTER: "none" };
  const env = {
    REDIS_KEY_PREFIX: `agora-bench-tracing:${Date.now()}:${variant}:`,
    OUTBOX_POLL_MS: "60000",
    STORAGE_DIR: join(root, "storage", "bench"),
    ...otel,
  };
  const subgraphs = await startSubgraphs(processes, env);
  const gateway = await startGateway(processes, variant, subgraphs.urls, {
    ...env,
    SUBGRAPH_DEDUPLICATION: "false",
    PLAN_CACHE_SHARED: "false",
    APQ_ENABLED: "false",
    RESPONSE_CACHE_ENABLED: "false",
  });
  platforms[variant] = { gateway, subgraphs: subgraphs.children, receiver };
}

const receivedBytes = async (receiver: string) =>
  ((await (await fetch(`${receiver}/stats`)).json()) as { requests: number; bytes: number }).bytes;

console.log(`Load (a): ${connections} connections, ${durationSec} s per measurement (+${warmupSec} s warm-up), ${rounds} rounds.`);
const results = {} as Record<Variant, (Measurement & { spanBytesPerRequest: number })[]>;
for (let round = 0; round < rounds; round++) {
  const names = Object.keys(variants) as Variant[];
  for (const variant of round % 2 === 0 ? names : names.reverse()) {
    const { gateway, subgraphs, receiver } = platforms[variant];
    const bytesBefore = await receivedBytes(receiver);
    const measurement = await measure(
      gateway,
      { gateway: gateway.child, ...subgraphs },
      { requests: sameQuery(), connections, durationSec, warmupSec, graphql: true },
    );
    if (measurement.errors > 0 || (measurement.graphqlErrors ?? 0) > 0)
      throw new Error(`${variant}: ${measurement.errors} failed requests, ${measurement.graphqlErrors} GraphQL errors; not a figure`);
    await new Promise((r) => setTimeout(r, flushWaitMs));
    // Includes the warm-up's spans: per request of the whole load, warm-up included.
    const spanBytesPerRequest = (await receivedBytes(receiver)) - bytesBefore;
    (results[variant] ??= []).push({
      ...measurement,
      spanBytesPerRequest: spanBytesPerRequest / (measurement.requests * (1 + warmupSec / durationSec)),
    });
    console.log(`  ${variant}: ${measurement.rps.toFixed(0)} req/s, p95 ${measurement.p95} ms, span bytes received ${spanBytesPerRequest}`);
  }
}
processes.stopAll();

const summary = Object.fromEntries(
  (Object.keys(variants) as Variant[]).map((variant) => {
    const ms = results[variant];
    const cpu = (name: string) => Number(median(ms.map((m) => m.cpuPerRequestMs[name]!)).toFixed(3));
    return [
      variant,
      {
        rps: median(ms.map((m) => m.rps)),
        p50: median(ms.map((m) => m.p50)),
        p95: median(ms.map((m) => m.p95)),
        p99: median(ms.map((m) => m.p99)),
        gatewayCpuMs: cpu("gateway"),
        subgraphCpuMs: cpu("users") + cpu("offers") + cpu("reviews") + cpu("jobs"),
        spanBytesPerRequest: median(ms.map((m) => m.spanBytesPerRequest)),
        peakRssMiB: Math.max(...ms.map((m) => m.lifetimePeakRssMiB)),
      },
    ];
  }),
) as Record<
  Variant,
  {
    rps: number;
    p50: number;
    p95: number;
    p99: number;
    gatewayCpuMs: number;
    subgraphCpuMs: number;
    spanBytesPerRequest: number;
    peakRssMiB: number;
  }
>;

const off = summary.off;
const report = [
  "# Tracing overhead",
  "",
  `${new Date().toISOString()}; load (a), the README's federated query; ${connections} connections; ${durationSec} s per measurement after ${warmupSec} s warm-up; ${rounds} rounds, order reversed every round; medians of the rounds. Command: \`pnpm bench:tracing\`. Machine: ${cpus().length} cores shared with other work, load average ${loadAverageAtStart.toFixed(1)} at the start and ${loadavg()[0]!.toFixed(1)} at the end.`,
  "",
  "| tracing | req/s | p50 ms | p95 ms | p99 ms | gateway CPU ms/req | subgraphs' CPU ms/req (sum) | gateway peak RSS MiB | OTLP bytes received per request | req/s vs off | gateway CPU vs off |",
  "|---|---|---|---|---|---|---|---|---|---|---|",
  ...(Object.keys(summary) as Variant[]).map((variant) => {
    const v = summary[variant];
    return `| ${variant} | ${v.rps.toFixed(0)} | ${v.p50.toFixed(1)} | ${v.p95.toFixed(1)} | ${v.p99.toFixed(1)} | ${v.gatewayCpuMs} | ${v.subgraphCpuMs.toFixed(3)} | ${v.peakRssMiB} | ${v.spanBytesPerRequest.toFixed(0)} | ${(v.rps / off.rps).toFixed(2)}× | ${(v.gatewayCpuMs / off.gatewayCpuMs).toFixed(2)}× |`;
  }),
  "",
  summary["100%"].spanBytesPerRequest === 0
    ? "No spans reached the collectors: the services do not export traces yet (tracing is on iff OTEL_TRACES_EXPORTER=otlp), so the three rows measure the same thing."
    : "Spans reached the collectors of the sampled variants.",
].join("\n");
console.log(`\n${report}\n`);
writeFileSync(
  join(root, "bench/results/tracing.json"),
  JSON.stringify({ date: new Date().toISOString(), connections, durationSec, warmupSec, rounds, summary, rounds_: results }, null, 2),
);
writeFileSync(join(root, "bench/results/tracing.md"), report + "\n");
process.exit(0);
