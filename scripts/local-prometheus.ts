/**
 * `pnpm start`'s local Prometheus: when the `prometheus` binary is installed (Debian: `apt-get
 * install prometheus`), runs one that scrapes every service `pnpm start` started, on the ports it
 * actually used, and evaluates the alert rules of infra/prometheus/rules. Nothing is kept: its data
 * lives in a temporary directory. It stops with the platform (Ctrl-C reaches it too).
 *
 * START_PROMETHEUS: `0` never runs it (default: run it when the binary is there). PROMETHEUS_PORT:
 * where it listens (default 9090). It never stops the platform: without it, everything else runs,
 * and one line says why there is no Prometheus.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { workspaceRoot } from "./workspace-root.js";

export interface LocalTargets {
  gatewayPorts: number[];
  /** Subgraph name → port. */
  subgraphPorts: Record<string, number>;
  workerPorts: number[];
}

const targetList = (ports: number[]) => ports.map((port) => `"127.0.0.1:${port}"`).join(", ");

/** The scrape configuration for these ports: the same jobs and labels as infra/prometheus/prometheus.yml. */
export function localPrometheusConfig(targets: LocalTargets, rulesDir: string, prometheusPort: number): string {
  const subgraphs = Object.entries(targets.subgraphPorts)
    .map(([service, port]) => `      - targets: ["127.0.0.1:${port}"]\n        labels: { service: ${service} }`)
    .join("\n");
  return `# Written by pnpm start (scripts/local-prometheus.ts); the reference is infra/prometheus/prometheus.yml.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files:
  - ${JSON.stringify(join(rulesDir, "*.yml"))}
scrape_configs:
  - job_name: gateway
    honor_labels: true
    static_configs:
      - targets: [${targetList(targets.gatewayPorts)}]
        labels: { service: gateway }
  - job_name: subgraphs
    honor_labels: true
    static_configs:
${subgraphs}
  - job_name: workers
    honor_labels: true
    static_configs:
      - targets: [${targetList(targets.workerPorts)}]
        labels: { service: workers }
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:${prometheusPort}"]
`;
}

function binaryInstalled(): boolean {
  return spawnSync("prometheus", ["--version"], { stdio: "ignore" }).status === 0;
}

async function waitReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** Starts the local Prometheus when wanted and possible; prints its URL, or why it did not start. */
export async function startLocalPrometheus(targets: LocalTargets, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (env.START_PROMETHEUS === "0") return null;
  const port = Number(env.PROMETHEUS_PORT ?? 9090);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.log(`  (No local Prometheus: PROMETHEUS_PORT must be a port number, got "${env.PROMETHEUS_PORT}".)`);
    return null;
  }
  if (!binaryInstalled()) {
    console.log("  (No local Prometheus: install it, e.g. `apt-get install prometheus`, to have one scrape every service.)");
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "agora-prometheus-"));
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, localPrometheusConfig(targets, join(workspaceRoot(), "infra", "prometheus", "rules"), port));
  const child = spawn(
    "prometheus",
    [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: "ignore" },
  );
  // SIGTERM on our way out; Ctrl-C reaches it directly (same process group).
  process.once("exit", () => child.kill("SIGTERM"));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<false>((resolve) => child.once("exit", () => resolve(false)));
  if (!(await Promise.race([waitReady(url, 15_000), exited]))) {
    child.kill("SIGTERM");
    console.log(`  (No local Prometheus: it did not become ready on ${url}; is the port taken? Set PROMETHEUS_PORT.)`);
    return null;
  }
  console.log(`  Prometheus (local, alerts and targets):  ${url}/alerts   ${url}/targets`);
  return url;
}
