/**
 * `agora_dependency_up{dependency}`: 1 when a dependency (PostgreSQL, Redis) answered a cheap probe
 * during this scrape, else 0. Probed at scrape time, so the value is never older than the scrape,
 * and bounded by a timeout so a hung dependency cannot hang /metrics. The "Postgres unreachable"
 * and "Redis unreachable" alerts read it from every service that uses the dependency.
 */
import { Gauge, type Registry } from "prom-client";
import { withTimeout } from "../with-timeout.js";

export type DependencyProbe = () => Promise<unknown>;

/** Longest wait for one probe; slower counts as down (below Prometheus's 10 s scrape timeout). */
const probeTimeoutMs = 2000;

const probesOf = new WeakMap<Registry, Map<string, DependencyProbe>>();

/**
 * Adds `probe` as dependency `name` (e.g. `postgresql`, `redis`) of this registry's process. Any
 * part of a service may add its own; the gauge is created once per registry.
 */
export function registerDependencyProbe(registry: Registry, name: string, probe: DependencyProbe): void {
  let probes = probesOf.get(registry);
  if (!probes) {
    const created = new Map<string, DependencyProbe>();
    probes = created;
    probesOf.set(registry, created);
    new Gauge({
      name: "agora_dependency_up",
      help: "1 when the dependency answered a probe during this scrape, 0 when it did not",
      labelNames: ["dependency"],
      registers: [registry],
      async collect() {
        await Promise.all(
          [...created].map(async ([dependency, check]) => {
            const up = await withTimeout(check(), probeTimeoutMs, dependency).then(
              () => 1,
              () => 0,
            );
            this.set({ dependency }, up);
          }),
        );
      },
    });
  }
  probes.set(name, probe);
}
