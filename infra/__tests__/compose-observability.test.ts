/**
 * docker-compose.yml's observability services mount the files of infra/ that exist, at the paths
 * the configurations inside them expect. No Docker engine runs here, so a wrong path would only
 * show on a user's machine; `docker-compose config` (README) checks the rest of the file.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { infraDir, readYaml } from "./support/infra-files.js";

const root = join(infraDir, "..");
const compose = readYaml(join(root, "docker-compose.yml"));
const mounts = (service: string) =>
  (compose.services[service].volumes as string[])
    .filter((v) => v.startsWith("./"))
    .map((v) => v.split(":") as [string, string, ...string[]]);

describe("docker-compose observability services", () => {
  it.each(["prometheus", "alertmanager", "grafana", "jaeger"])("has %s", (service) => {
    expect(compose.services[service]?.image).toEqual(expect.any(String));
  });

  it.each(["prometheus", "alertmanager", "grafana"])("%s mounts files that exist", (service) => {
    const found = mounts(service);
    expect(found.length).toBeGreaterThan(0);
    for (const [source] of found) expect([source, existsSync(join(root, source))]).toEqual([source, true]);
  });

  it("Prometheus gets the Docker scrape configuration with its rules beside it", () => {
    expect(mounts("prometheus").map(([source, target]) => [source, target])).toEqual([
      ["./infra/prometheus/prometheus.docker.yml", "/etc/prometheus/prometheus.yml"],
      ["./infra/prometheus/rules", "/etc/prometheus/rules"],
    ]);
    expect(readYaml(join(infraDir, "prometheus", "prometheus.docker.yml")).rule_files).toEqual(["rules/*.yml"]);
  });

  it("Grafana gets the dashboards where the provisioning looks for them", () => {
    expect(mounts("grafana").map(([source, target]) => [source, target])).toEqual([
      ["./infra/grafana/provisioning", "/etc/grafana/provisioning"],
      ["./infra/grafana/dashboards", "/var/lib/grafana/dashboards"],
    ]);
  });

  it("Jaeger accepts OTLP", () => {
    expect(compose.services.jaeger.environment.COLLECTOR_OTLP_ENABLED).toBe("true");
    expect(compose.services.jaeger.ports).toEqual(
      expect.arrayContaining([expect.stringMatching(/^"?4317:4317/), expect.stringMatching(/^"?4318:4318/)]),
    );
  });
});
