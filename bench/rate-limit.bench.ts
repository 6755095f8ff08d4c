/**
 * `pnpm bench:rate-limit`: what the rate limiter costs per request, side by side in one run.
 *
 * Two gateway processes on the same machine, identical but for RATE_LIMIT_ENABLED: one decides every
 * request in Redis (budgets so large that nothing is refused, so every request pays for a full
 * decision and then runs), the other does not limit. Both federate to a stand-in subgraph in this
 * process that answers at once, so what differs is the limiter: the cost estimate, the Lua script's
 * round trip to Redis and the headers. Load comes from bench/load.ts in its own process: with one
 * connection (the latency a request gains, p50) in BENCH_ROUNDS off/on pairs, of which the median
 * difference is reported, then with BENCH_CONNECTIONS (throughput), each off then on.
 * Writes bench/results/rate-limit.json and rate-limit.md.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { join } from "node:path";
import { benchRoot as root, cpuMs, freePort, runLoad, waitReady, type LoadResult } from "./support.js";

const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 5);
// The machine is shared and noisy: several short off/on pairs, the median pair counts.
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 2);
const busyConnections = Number(process.env.BENCH_CONNECTIONS ?? 16);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const query = "{ offers(first: 5) { totalCount } }";

// The stand-in subgraph: the gateway's only fetch for `query` is `{offers(first:5){totalCount}}`.
const stub = createHttpServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"data":{"offers":{"totalCount":5}}}');
  });
});
await new Promise<void>((resolve) => stub.listen(0, "127.0.0.1", resolve));
const stubUrl = `http://127.0.0.1:${(stub.address() as { port: number }).port}/graphql`;

const children: ChildProcess[] = [];
const stopAll = () => children.forEach((c) => c.kill("SIGTERM"));
process.on("exit", stopAll);

async function startGateway(limiting: boolean): Promise<{ url: string; pid: number; metricsUrl: string }> {
  const port = await freePort();
  const unlimited = "1000000000/60s";
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "gateway/src/index.ts")], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: "",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      INTERNAL_SECRET: "bench-internal-secret-0123456789abcdef",
      JWT_SECRET: "bench-jwt-secret-0123456789abcdef-0123",
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: "127.0.0.1",
      USERS_URL: stubUrl,
      OFFERS_URL: stubUrl,
      REVIEWS_URL: stubUrl,
      JOBS_URL: stubUrl,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `agora-bench:${Date.now()}:`,
      RATE_LIMIT_ENABLED: String(limiting),
      RATE_LIMIT_ANONYMOUS: unlimited,
      RATE_LIMIT_IP: unlimited,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await waitReady(`${base}/health/live`);
  return { url: `${base}/graphql`, pid: child.pid ?? 0, metricsUrl: `${base}/metrics` };
}

const load = (url: string, connections: number): Promise<LoadResult> =>
  runLoad({ url, body: JSON.stringify({ query }), connections, durationSec, warmupSec });

async function measure(gateway: { url: string; pid: number }, connections: number) {
  const before = cpuMs(gateway.pid);
  const result = await load(gateway.url, connections);
  const total = result.requests + result.rps * warmupSec;
  return { ...result, gatewayCpuMsPerRequest: Number(((cpuMs(gateway.pid) - before) / total).toFixed(3)) };
}

const [off, on] = await Promise.all([startGateway(false), startGateway(true)]);
console.log(
  `Rate limiter cost: ${durationSec} s per scenario (+${warmupSec} s warm-up), ${rounds} off/on pairs at 1 connection, one at ${busyConnections}.`,
);
const scenarios: Record<string, Awaited<ReturnType<typeof measure>>> = {};
const added: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const without = (scenarios[`off, 1 connection, round ${round}`] = await measure(off, 1));
  const limited = (scenarios[`on, 1 connection, round ${round}`] = await measure(on, 1));
  added.push(limited.p50 - without.p50);
}
scenarios[`off, ${busyConnections} connections`] = await measure(off, busyConnections);
scenarios[`on, ${busyConnections} connections`] = await measure(on, busyConnections);
const metrics = await (await fetch(on.metricsUrl)).text();
const decisions = (labels: string) =>
  Number(new RegExp(`agora_gateway_rate_limit_decisions_total\\{${labels},service="gateway"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
const redisDecisions = { allowed: decisions('decision="allowed",store="redis"'), limited: decisions('decision="limited",store="redis"') };
stopAll();
stub.close();

const get = (name: string) => {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`no scenario ${name}`);
  return scenario;
};
const addedP50 = added.sort((a, b) => a - b)[Math.floor(added.length / 2)] ?? Number.NaN;
const busyOff = get(`off, ${busyConnections} connections`);
const busyOn = get(`on, ${busyConnections} connections`);
const rows = Object.entries(scenarios).map(
  ([name, s]) =>
    `| ${name} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(2)} | ${s.p95.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.errors} | ${s.gatewayCpuMsPerRequest} |`,
);
const report = [
  `Rate limiter benchmark, ${new Date().toISOString()}, ${durationSec} s per scenario, query \`${query}\` against a stand-in subgraph`,
  "",
  "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | gateway CPU ms per request |",
  "|---|---|---|---|---|---|---|",
  ...rows,
  "",
  `p50 added by the limiter, one connection: ${addedP50.toFixed(2)} ms (median of ${rounds} pairs: ${added.map((a) => a.toFixed(2)).join(", ")})`,
  `throughput with the limiter at ${busyConnections} connections: ${((busyOn.rps / busyOff.rps) * 100).toFixed(0)} % of without`,
  `decisions by the limiting gateway in Redis: ${redisDecisions.allowed} allowed, ${redisDecisions.limited} limited`,
].join("\n");
console.log(`\n${report}\n`);
writeFileSync(
  join(root, "bench/results/rate-limit.json"),
  JSON.stringify({ date: new Date().toISOString(), durationSec, rounds, query, scenarios, addedP50Ms: addedP50, redisDecisions }, null, 2),
);
writeFileSync(join(root, "bench/results/rate-limit.md"), report + "\n");
process.exit(0);
