/**
 * Load generator, run as its own process so it does not share a CPU budget with the server under
 * test in the same event loop. Drives autocannon and collects every response time to report exact
 * p50/p95/p99 (autocannon's summary has no p95). Prints one JSON line.
 *
 * Usage: tsx bench/load.ts <config.json path | json>  with
 * {url, body | requests: [{body, headers?}], headers?, connections, durationSec, warmupSec?, graphql?}.
 * With `requests`, the connections take the bodies in turn from one shared pool (a mix). With
 * `graphql`, a 200 whose body carries `"errors"` counts as an error too, and the first one seen
 * is printed to stderr.
 */
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

interface PooledRequest {
  body: string;
  headers?: Record<string, string>;
}

interface LoadConfig {
  url: string;
  body?: string;
  requests?: PooledRequest[];
  headers?: Record<string, string>;
  connections: number;
  durationSec: number;
  warmupSec?: number;
  graphql?: boolean;
}

const argument = process.argv[2] ?? "{}";
const config = JSON.parse(argument.startsWith("{") ? argument : readFileSync(argument, "utf8")) as LoadConfig;
const pool: PooledRequest[] = config.requests ?? [{ body: config.body ?? "" }];
const baseHeaders = { "content-type": "application/json", ...config.headers };
let next = 0;
let firstError: string | undefined;

function run(durationSec: number, record: boolean) {
  const latencies: number[] = [];
  let errors = 0;
  let graphqlErrors = 0;
  return new Promise<{ latencies: number[]; errors: number; graphqlErrors: number }>((resolve, reject) => {
    const instance = autocannon(
      {
        url: config.url,
        method: "POST",
        headers: baseHeaders,
        body: pool[0]!.body,
        connections: config.connections,
        duration: durationSec,
        requests: [
          {
            method: "POST",
            // One body needs no per-request setup: autocannon then reuses the request it built.
            ...(pool.length > 1
              ? {
                  setupRequest: (request: any) => {
                    const pick = pool[next++ % pool.length]!;
                    return { ...request, body: pick.body, headers: pick.headers ? { ...baseHeaders, ...pick.headers } : baseHeaders };
                  },
                }
              : { body: pool[0]!.body, headers: { ...baseHeaders, ...pool[0]!.headers } }),
            ...(config.graphql
              ? {
                  onResponse: (status: number, body: string) => {
                    if (status === 200 && record && body.includes('"errors"')) {
                      graphqlErrors++;
                      firstError ??= body.slice(0, 500);
                    }
                  },
                }
              : {}),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({ latencies, errors: errors + result.errors + result.timeouts, graphqlErrors });
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
// Tells bench/support.ts's runLoad that the measured part begins (CPU and metrics are read from here).
console.log("measuring");
const result = await run(config.durationSec, true);
if (firstError) console.error(`first GraphQL error answer: ${firstError}`);
const sorted = result.latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    requests: sorted.length,
    errors: result.errors,
    graphqlErrors: result.graphqlErrors,
    rps: sorted.length / config.durationSec,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
  }),
);
