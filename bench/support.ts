/** What every benchmark here needs: free ports, readiness polling, CPU and RSS of a process, load. */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const benchRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Polls `url` until it answers 2xx. */
export async function waitReady(url: string, timeoutMs = 60_000, pollMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`${url} did not become ready`);
}

/** user+system CPU time of a process in ms (from /proc; clock ticks are 10 ms on Linux). */
/** The median of the rounds: one round disturbed by a neighbour on this shared machine does not move it. */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** The highest RSS a process has had since it started (VmHWM), in KiB. */
export function peakRssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

export interface LoadResult {
  requests: number;
  /** Failed connections, timeouts and answers other than 200. */
  errors: number;
  /** 200 answers carrying GraphQL `errors` (counted only with `graphql: true`). */
  graphqlErrors?: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface LoadOptions {
  url: string;
  /** The JSON request body (e.g. `{"query": …}`). */
  body?: string;
  /** A mix instead of one body: the connections take these in turn from one shared pool. */
  requests?: { body: string; headers?: Record<string, string> }[];
  headers?: Record<string, string>;
  /** Count 200 answers with GraphQL `errors` as errors (`graphqlErrors`). */
  graphql?: boolean;
  connections: number;
  durationSec: number;
  warmupSec: number;
  /** Called when the warm-up is over and the measured part begins. */
  onMeasureStart?: () => void;
}

/**
 * Runs bench/load.ts (autocannon) in its own process, so the load generator never competes with
 * the measured process's event loop, and asynchronously, so samplers here keep ticking.
 */
export function runLoad(options: LoadOptions): Promise<LoadResult> {
  // A pool of bodies can exceed what one command-line argument may hold; it goes through a file.
  const dir = mkdtempSync(join(tmpdir(), "agora-bench-load-"));
  const configFile = join(dir, "config.json");
  const { onMeasureStart, ...config } = options;
  writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(process.execPath, ["--import", "tsx", join(benchRoot, "bench/load.ts"), configFile], {
    cwd: benchRoot,
    env: { ...process.env, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  let measuring = false;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!measuring && stdout.includes("measuring\n")) {
      measuring = true;
      onMeasureStart?.();
    }
  });
  return new Promise((resolve, reject) => {
    child.on("exit", (code) => {
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as LoadResult);
    });
  });
}
