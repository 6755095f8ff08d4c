/**
 * Load generator, run as its own process so it does not share a CPU budget with the server under
 * test in the same event loop. Drives autocannon and collects every response time to report exact
 * p50/p95/p99 (autocannon's summary has no p95). Prints one JSON line.
 *
 * Usage: tsx bench/load.ts '<json config>'  with {url, body, headers?, connections, durationSec, warmupSec?}
 */
import autocannon from "autocannon";

interface LoadConfig {
  url: string;
  body: string;
  headers?: Record<string, string>;
  connections: number;
  durationSec: number;
  warmupSec?: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as LoadConfig;

function run(durationSec: number, record: boolean) {
  const latencies: number[] = [];
  let errors = 0;
  return new Promise<{ latencies: number[]; errors: number; requests: number; seconds: number }>((resolve, reject) => {
    const started = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: config.url,
        method: "POST",
        headers: { "content-type": "application/json", ...config.headers },
        body: config.body,
        connections: config.connections,
        duration: durationSec,
      },
      (error, result) => {
        if (error) return reject(error);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        resolve({ latencies, errors: errors + result.errors + result.timeouts, requests: result.requests.total, seconds });
      },
    );
    instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (!record) return;
      if (statusCode !== 200) errors++;
      latencies.push(responseTime);
    });
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

if (config.warmupSec) await run(config.warmupSec, false);
const result = await run(config.durationSec, true);
const sorted = result.latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    requests: sorted.length,
    errors: result.errors,
    rps: sorted.length / config.durationSec,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  }),
);
