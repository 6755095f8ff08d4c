/**
 * The Prometheus and Alertmanager files, checked by the tools that will load them: promtool (config,
 * rules, rule unit tests) and amtool. Run as a Jest test rather than lines in .ci/run so a developer
 * gets the same checks from `pnpm test -- infra`, and CI counts them with the other tests; .ci/run
 * only installs the Debian packages that bring the two tools.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localPrometheusConfig } from "../../scripts/local-prometheus.js";
import { infraDir, ruleFiles, ruleTestFiles, rules, readYaml, rulesDir } from "./support/infra-files.js";

function run(tool: string, args: string[]): string {
  const result = spawnSync(tool, args, { cwd: infraDir, encoding: "utf8" });
  if (result.error)
    throw new Error(`${tool} is not installed: apt-get install prometheus prometheus-alertmanager (${result.error.message})`);
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed:\n${output}`);
  return output;
}

describe("Prometheus configuration", () => {
  it.each(["prometheus/prometheus.yml", "prometheus/prometheus.docker.yml"])("%s passes promtool check config", (file) => {
    expect(run("promtool", ["check", "config", file])).toMatch(/SUCCESS/);
  });

  it("the configuration pnpm start writes passes promtool check config", () => {
    const dir = mkdtempSync(join(tmpdir(), "agora-prometheus-config-"));
    try {
      const file = join(dir, "prometheus.yml");
      const targets = {
        gatewayPorts: [4001],
        subgraphPorts: { users: 4101, offers: 4102, reviews: 4103, jobs: 4104 },
        workerPorts: [4110, 4111],
      };
      writeFileSync(file, localPrometheusConfig(targets, rulesDir, 9090));
      expect(run("promtool", ["check", "config", file])).toMatch(/SUCCESS: 2 rule files found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every rule file passes promtool check rules", () => {
    expect(run("promtool", ["check", "rules", ...ruleFiles()])).not.toMatch(/FAILED/);
  });

  it("every alert's unit tests pass (promtool test rules)", () => {
    expect(run("promtool", ["test", "rules", ...ruleTestFiles()])).not.toMatch(/FAILED/);
  });

  it("every alert has a unit test that expects it to fire", () => {
    const fired = new Set<string>();
    for (const file of ruleTestFiles()) {
      for (const test of readYaml(file).tests as { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[]) {
        for (const check of test.alert_rule_test ?? []) if (check.exp_alerts.length > 0) fired.add(check.alertname);
      }
    }
    const alerts = rules().flatMap((rule) => (rule.alert ? [rule.alert] : []));
    expect(alerts.length).toBeGreaterThanOrEqual(13);
    expect(alerts.filter((alert) => !fired.has(alert))).toEqual([]);
  });

  it("every alert says how urgent it is and what happened", () => {
    for (const file of ruleFiles()) {
      for (const group of readYaml(file).groups as {
        rules: { alert?: string; labels?: Record<string, string>; annotations?: Record<string, string> }[];
      }[]) {
        for (const rule of group.rules.filter((r) => r.alert)) {
          expect([rule.alert, rule.labels?.severity]).toEqual([rule.alert, expect.stringMatching(/^(page|ticket)$/)]);
          expect(rule.annotations?.summary).toBeTruthy();
        }
      }
    }
  });
});

describe("Alertmanager configuration", () => {
  it("passes amtool check-config", () => {
    expect(run("amtool", ["check-config", "alertmanager/alertmanager.yml"])).toMatch(/SUCCESS/);
  });

  it("routes both severities the alerts use", () => {
    const config = readYaml(join(infraDir, "alertmanager", "alertmanager.yml"));
    const matchers = (config.route.routes as { matchers: string[] }[]).flatMap((route) => route.matchers);
    expect(matchers).toEqual(expect.arrayContaining(['severity="page"', 'severity="ticket"']));
    // amtool agrees on where an alert of each severity goes.
    const routeOf = (severity: string) =>
      execFileSync("amtool", ["config", "routes", "test", "--config.file=alertmanager/alertmanager.yml", `severity=${severity}`], {
        cwd: infraDir,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }).trim();
    expect(routeOf("page")).toBe("page");
    expect(routeOf("ticket")).toBe("ticket");
  });
});
