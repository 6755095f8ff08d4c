/**
 * Grafana cannot be installed here, so the dashboards are checked against the shape Grafana's
 * dashboard schema (schemaVersion 39) requires of what we use: a uid and title per dashboard,
 * panels with unique ids, a known type, a place on the 24-column grid, and PromQL targets on the
 * provisioned Prometheus datasource. Each panel also says which question it answers, in Grafana
 * and in the folder's README.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dashboardFiles, infraDir, readJson, readYaml } from "./support/infra-files.js";

const panelTypes = new Set(["timeseries", "stat", "gauge", "bargauge", "table", "text", "row", "heatmap"]);
const provisioned = readYaml(join(infraDir, "grafana", "provisioning", "datasources", "prometheus.yml")).datasources as {
  uid: string;
  type: string;
}[];
const prometheusUid = provisioned.find((source) => source.type === "prometheus")?.uid;

describe("Grafana dashboards", () => {
  const files = dashboardFiles();

  it("are the four the platform needs, each with a unique uid and title", () => {
    const dashboards = files.map(readJson);
    expect(dashboards.map((d) => d.uid).sort()).toEqual(["agora-data-stores", "agora-gateway", "agora-queues", "agora-subgraphs"]);
    expect(new Set(dashboards.map((d) => d.title)).size).toBe(dashboards.length);
  });

  it("are described panel by panel in the folder's README", () => {
    const readme = readFileSync(join(infraDir, "grafana", "dashboards", "README.md"), "utf8");
    // The first cell of every table row is a panel title.
    const listed = new Set(readme.split("\n").flatMap((line) => (/^\| ([^|]+?) +\|/.exec(line)?.[1] ?? []) as string[]));
    for (const dashboard of files.map(readJson)) {
      expect([dashboard.title, readme.includes(`## ${dashboard.title} `)]).toEqual([dashboard.title, true]);
      for (const { title } of dashboard.panels as { title: string }[])
        expect([dashboard.title, title, listed.has(title)]).toEqual([dashboard.title, title, true]);
    }
  });

  it("are provisioned from the folder docker-compose.yml mounts", () => {
    const providers = readYaml(join(infraDir, "grafana", "provisioning", "dashboards", "agora.yml")).providers as {
      type: string;
      options: { path: string };
    }[];
    expect(providers).toEqual([
      expect.objectContaining({ type: "file", options: expect.objectContaining({ path: "/var/lib/grafana/dashboards" }) }),
    ]);
  });

  describe.each(files.map((file) => [file.slice(file.lastIndexOf("/") + 1), file]))("%s", (_name, file) => {
    const dashboard = readJson(file as string);
    const panels = dashboard.panels as any[];

    it("has the top-level fields Grafana requires", () => {
      expect(dashboard).toEqual(
        expect.objectContaining({
          uid: expect.stringMatching(/^[a-z0-9-]{1,40}$/),
          title: expect.any(String),
          schemaVersion: expect.any(Number),
          time: { from: expect.any(String), to: expect.any(String) },
          templating: { list: expect.any(Array) },
        }),
      );
      expect(panels.length).toBeGreaterThan(0);
    });

    it("has panels with unique ids, known types and a question they answer", () => {
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const panel of panels) {
        expect([panel.title, Number.isInteger(panel.id), panelTypes.has(panel.type)]).toEqual([panel.title, true, true]);
        expect([panel.title, typeof panel.description === "string" && panel.description.length > 20]).toEqual([panel.title, true]);
      }
    });

    it("places every panel on the 24-column grid without overlaps", () => {
      const cells = new Set<string>();
      for (const { gridPos, title } of panels) {
        expect([title, gridPos.x >= 0, gridPos.y >= 0, gridPos.w >= 1, gridPos.h >= 1, gridPos.x + gridPos.w <= 24]).toEqual([
          title,
          true,
          true,
          true,
          true,
          true,
        ]);
        for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++)
          for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
            expect(cells.has(`${x},${y}`) ? `${title} overlaps at ${x},${y}` : "free").toBe("free");
            cells.add(`${x},${y}`);
          }
      }
    });

    it("queries the provisioned Prometheus datasource with PromQL targets", () => {
      expect(prometheusUid).toBe("prometheus");
      for (const panel of panels.filter((p) => p.type !== "row" && p.type !== "text")) {
        expect(panel.datasource).toEqual({ type: "prometheus", uid: prometheusUid });
        expect(panel.targets.length).toBeGreaterThan(0);
        expect(new Set(panel.targets.map((t: any) => t.refId)).size).toBe(panel.targets.length);
        for (const target of panel.targets) {
          expect(target.datasource).toEqual({ type: "prometheus", uid: prometheusUid });
          expect(target.expr).toMatch(/\S/);
          // Balanced brackets: a typo Grafana would only show as a panel error.
          for (const [open, close] of [
            ["(", ")"],
            ["{", "}"],
            ["[", "]"],
          ] as const)
            expect([target.expr, target.expr.split(open).length]).toEqual([target.expr, target.expr.split(close).length]);
        }
      }
    });
  });
});
