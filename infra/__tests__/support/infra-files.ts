/** Reads the observability files of infra/: dashboards, rule files, and the PromQL they contain. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const infraDir = fileURLToPath(new URL("../../", import.meta.url));
export const dashboardsDir = join(infraDir, "grafana", "dashboards");
export const rulesDir = join(infraDir, "prometheus", "rules");
export const ruleTestsDir = join(infraDir, "prometheus", "tests");

const filesIn = (dir: string, extension: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith(extension))
    .sort()
    .map((name) => join(dir, name));

export const dashboardFiles = () => filesIn(dashboardsDir, ".json");
export const ruleFiles = () => filesIn(rulesDir, ".yml");
export const ruleTestFiles = () => filesIn(ruleTestsDir, ".yml");

export const readJson = (file: string): any => JSON.parse(readFileSync(file, "utf8"));
export const readYaml = (file: string): any => parse(readFileSync(file, "utf8"));

export interface Rule {
  file: string;
  alert?: string;
  record?: string;
  expr: string;
}

export function rules(): Rule[] {
  return ruleFiles().flatMap((file) =>
    (readYaml(file).groups as { rules: Omit<Rule, "file">[] }[]).flatMap((group) => group.rules.map((rule) => ({ file, ...rule }))),
  );
}

/** Every PromQL expression of every dashboard panel, with where it is. */
export function dashboardExpressions(): { where: string; expr: string }[] {
  return dashboardFiles().flatMap((file) =>
    (readJson(file).panels as { title: string; targets: { expr: string }[] }[]).flatMap((panel) =>
      panel.targets.map((target) => ({ where: `${file}: "${panel.title}"`, expr: target.expr })),
    ),
  );
}

const promqlWords = new Set([
  // aggregations and their modifiers
  ...["sum", "min", "max", "avg", "count", "topk", "bottomk", "quantile", "stddev", "stdvar", "group", "count_values"],
  ...["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool", "inf", "nan"],
  // functions used or likely
  ...["rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile", "absent", "absent_over_time", "abs", "clamp_min"],
  ...["clamp_max", "round", "ceil", "floor", "time", "vector", "scalar", "label_replace", "predict_linear", "changes", "resets"],
  ...["avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time", "last_over_time", "sort", "sort_desc"],
]);

/**
 * The metric names a PromQL expression reads: what is left after removing strings, label
 * matchers, grouping clauses, ranges, numbers and PromQL's own words.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, " ");
  const names = stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((name) => !promqlWords.has(name)))];
}
