/**
 * `pnpm bench:profile`: where the CPU of one federated request goes, per process.
 *
 * Starts, for every build named in PROFILE_BUILDS, the four subgraphs and one gateway per
 * SUBGRAPH_DEDUPLICATION setting in PROFILE_DEDUP (compiled, `node --conditions=compiled`, on the
 * seeded bench database), then runs the README's federated query at BENCH_CONNECTIONS from a
 * separate process (bench/load.ts) against each gateway in turn, PROFILE_ROUNDS times, alternating
 * builds, and reports req/s, p95 and CPU ms per request of every process (from /proc/<pid>/stat).
 *
 * Two builds side by side: copy the old tree first (`rsync -a --exclude=.git ./ /tmp/before/`
 * after `pnpm build`), then `PROFILE_BUILDS=before=/tmp/before,after=. pnpm bench:profile`.
 *
 * With PROFILE_CPU_DIR set, every process runs under `node --cpu-prof` (profiling costs CPU, so
 * those figures are not comparable with unprofiled ones); after the load the processes are stopped
 * with SIGTERM so V8 writes the profiles, and each is summarised (self and inclusive time by
 * function and by package) into `<PROFILE_CPU_DIR>/<build>-<process>.md`.
 * PROFILE_NODE_ARGS adds node options to every service (e.g. `--import ./sql-log.mjs`),
 * PROFILE_NODE_ARGS_<BUILD> to the services of one build (e.g. the same tree twice, with and
 * without a V8 flag: `PROFILE_BUILDS=plain=.,flag=. PROFILE_NODE_ARGS_FLAG=--max-semi-space-size=32`).
 * `tsx bench/profile.ts summarise <file.cpuprofile>` prints the summary of one profile.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { prepareDatabase } from "./services.js";
import { benchRoot as root, cpuMs, freePort, median, runLoad, waitReady, type LoadResult } from "./support.js";

// ---------------------------------------------------------------------------------------------
// Profile summary: a .cpuprofile is a call tree of nodes with hit counts; self time of a function
// is the time of its own samples, inclusive time counts a sample once for every distinct function
// on its stack.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** `node_modules/.pnpm/x@1/node_modules/@scope/name/…` → `@scope/name`; our own code by folder. */
function packageOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || "native"})`;
  if (url.startsWith("node:")) return "node (core)";
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const [first, second] = url.slice(modules + "/node_modules/".length).split("/");
    return first?.startsWith("@") ? `${first}/${second}` : (first ?? url);
  }
  // Any checkout (a copy of an older build in /tmp too): the workspace folder names our code.
  const local = url.replace(/^file:\/\//, "");
  const match = /\/(packages\/\w+|subgraphs\/\w+|gateway|prisma)\/(?:dist|src)\//.exec(local);
  return match ? `agora: ${match[1]}` : isAbsolute(local) ? relative(root, local) : local;
}

export function summariseProfile(profile: CpuProfile, top = Number(process.env.PROFILE_TOP ?? 25)): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample time per node from timeDeltas (the delta before sample i belongs to sample i).
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const label = (n: ProfileNode) => {
    const file = n.callFrame.url ? n.callFrame.url.split("/").slice(-2).join("/") : "";
    return `${n.callFrame.functionName || "(anonymous)"} ${file ? `${file}:${n.callFrame.lineNumber + 1}` : ""}`.trim();
  };
  const fnSelf = new Map<string, number>();
  const fnTotal = new Map<string, number>();
  const pkgSelf = new Map<string, number>();
  const pkgTotal = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName;
    if (name === "(idle)" || name === "(program)") {
      idle += name === "(idle)" ? us : 0;
      if (name === "(idle)") continue;
    }
    total += us;
    fnSelf.set(label(node), (fnSelf.get(label(node)) ?? 0) + us);
    const pkg = packageOf(node.callFrame.url, name);
    pkgSelf.set(pkg, (pkgSelf.get(pkg) ?? 0) + us);
    const seenFns = new Set<string>();
    const seenPkgs = new Set<string>();
    for (let cur: ProfileNode | undefined = node; cur; cur = byId.get(parent.get(cur.id) ?? -1)) {
      const l = label(cur);
      if (l === "(root)") continue;
      if (!seenFns.has(l)) {
        seenFns.add(l);
        fnTotal.set(l, (fnTotal.get(l) ?? 0) + us);
      }
      const p = packageOf(cur.callFrame.url, cur.callFrame.functionName);
      if (!seenPkgs.has(p)) {
        seenPkgs.add(p);
        pkgTotal.set(p, (pkgTotal.get(p) ?? 0) + us);
      }
    }
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
  const table = (title: string, map: Map<string, number>, n: number) => [
    `| ${title} | % of busy time |`,
    "|---|---|",
    ...[...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `| \`${k.replaceAll("|", "\\|")}\` | ${pct(us)} |`),
    "",
  ];
  return [
    `busy time sampled: ${(total / 1000).toFixed(0)} ms (idle ${(idle / 1000).toFixed(0)} ms), startup included`,
    "",
    // V8 samples wall time whenever the thread is not idle: a process preempted inside a syscall
    // (writev to a loopback socket wakes the reader, which often takes the core) still collects
    // samples there, so `(writev)` overstates CPU on a busy machine. /proc CPU time is the truth.
    "Percentages are of sampled busy time, not CPU time: time spent preempted inside a syscall (writev) counts too.",
    "",
    ...table("package (self)", pkgSelf, 15),
    ...table("package (inclusive)", pkgTotal, 15),
    ...table("function (self)", fnSelf, top),
    ...table("function (inclusive)", fnTotal, top),
  ].join("\n");
}

if (process.argv[2] === "summarise") {
  console.log(summariseProfile(JSON.parse(readFileSync(process.argv[3]!, "utf8")) as CpuProfile));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Load and CPU per request.

const databaseUrl = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/agora_bench";
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 15);
const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 3);
const rounds = Number(process.env.PROFILE_ROUNDS ?? 2);
const dedupSettings = (process.env.PROFILE_DEDUP ?? "false,true").split(",");
const cpuDir = process.env.PROFILE_CPU_DIR;
const builds = (process.env.PROFILE_BUILDS ?? "current=.").split(",").map((entry) => {
  const [name, dir] = entry.split("=");
  return { name: name!, dir: isAbsolute(dir!) ? dir! : join(root, dir!) };
});

const federatedQuery =
  "{ offers(first: 5) { totalCount edges { node { title price { amount currency } seller { displayName } rating { average count } reviews(first: 3) { edges { node { rating author { displayName } } } } } } } }";

for (const build of builds) {
  const built = spawnSync(process.execPath, ["--import", "tsx", join(build.dir, "scripts/build.ts")], { cwd: build.dir, stdio: "inherit" });
  if (built.status !== 0) throw new Error(`pnpm build failed in ${build.dir}`);
}

await prepareDatabase(databaseUrl);

const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((c) => c.exitCode === null && c.kill("SIGTERM")));

function start(build: { name: string; dir: string }, packageDir: string, profileName: string, env: Record<string, string>): ChildProcess {
  const { dir } = build;
  const profiling = cpuDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuDir}`, `--cpu-prof-name=${profileName}.cpuprofile`] : [];
  const extra = [process.env.PROFILE_NODE_ARGS, process.env[`PROFILE_NODE_ARGS_${build.name.toUpperCase()}`]].flatMap(
    (args) => args?.split(" ").filter(Boolean) ?? [],
  );
  const child = spawn(
    process.execPath,
    [...profiling, ...extra, "--conditions=compiled", "--enable-source-maps", join(dir, packageDir, "dist/index.js")],
    {
      cwd: dir,
      env: {
        ...process.env,
        NODE_OPTIONS: "",
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        DATABASE_URL: databaseUrl,
        INTERNAL_SECRET: "bench-internal-secret-0123456789abcdef",
        JWT_SECRET: "bench-jwt-secret-0123456789abcdef-0123",
        REDIS_KEY_PREFIX: `agora-profile:${Date.now()}:`,
        OUTBOX_POLL_MS: "60000",
        STORAGE_DIR: join(root, "storage", "bench"),
        ...env,
      },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  children.push(child);
  return child;
}

interface Stack {
  build: string;
  processes: Record<string, ChildProcess>;
  gateways: Record<string, string>;
}

async function startStack(build: { name: string; dir: string }): Promise<Stack> {
  const names = ["users", "offers", "reviews", "jobs"] as const;
  const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()] as const))) as Record<
    (typeof names)[number],
    number
  >;
  const url = (n: (typeof names)[number]) => `http://127.0.0.1:${ports[n]}/graphql`;
  const processes: Record<string, ChildProcess> = {};
  for (const n of names) {
    processes[n] = start(build, `subgraphs/${n}`, `${build.name}-${n}`, {
      PORT: String(ports[n]),
      ...(n === "reviews" ? { OFFERS_SUBGRAPH_URL: url("offers") } : {}),
    });
  }
  await Promise.all(names.map((n) => waitReady(`http://127.0.0.1:${ports[n]}/health/ready`)));
  const gateways: Record<string, string> = {};
  for (const dedup of dedupSettings) {
    const port = await freePort();
    processes[`gateway-dedup-${dedup}`] = start(build, "gateway", `${build.name}-gateway-dedup-${dedup}`, {
      GATEWAY_PORT: String(port),
      RATE_LIMIT_ENABLED: "false",
      SUBGRAPH_DEDUPLICATION: dedup,
      // The per-fetch hot path is what this measures: a response-cache hit never reaches the subgraphs.
      RESPONSE_CACHE_ENABLED: process.env.PROFILE_RESPONSE_CACHE ?? "false",
      USERS_URL: url("users"),
      OFFERS_URL: url("offers"),
      REVIEWS_URL: url("reviews"),
      JOBS_URL: url("jobs"),
    });
    await waitReady(`http://127.0.0.1:${port}/health/ready`, 60_000, 50);
    gateways[dedup] = `http://127.0.0.1:${port}/graphql`;
  }
  return { build: build.name, processes, gateways };
}

const stacks: Stack[] = [];
for (const build of builds) stacks.push(await startStack(build));

interface Row extends LoadResult {
  build: string;
  dedup: string;
  round: number;
  cpuPerRequestMs: Record<string, number>;
}
const rows: Row[] = [];
console.log(`Load: ${connections} connections, ${durationSec} s (+${warmupSec} s warm-up) per run, ${rounds} round(s).`);
for (let round = 1; round <= rounds; round++) {
  for (const dedup of dedupSettings) {
    for (const stack of stacks) {
      const gateway = `gateway-dedup-${dedup}`;
      const measured = ["users", "offers", "reviews", "jobs", gateway];
      const before = Object.fromEntries(measured.map((n) => [n, cpuMs(stack.processes[n]!.pid!)]));
      const result = await runLoad({
        url: stack.gateways[dedup]!,
        body: JSON.stringify({ query: federatedQuery }),
        connections,
        durationSec,
        warmupSec,
      });
      const total = result.requests + result.rps * warmupSec; // warm-up requests burn CPU too
      const cpu = Object.fromEntries(
        measured.map((n) => [n === gateway ? "gateway" : n, Number(((cpuMs(stack.processes[n]!.pid!) - before[n]!) / total).toFixed(2))]),
      );
      const subgraphs = ["users", "offers", "reviews", "jobs"].reduce((sum, n) => sum + (cpu[n] ?? 0), 0);
      cpu.subgraphs = Number(subgraphs.toFixed(2));
      rows.push({ ...result, build: stack.build, dedup, round, cpuPerRequestMs: cpu });
      console.log(
        `${stack.build} dedup=${dedup} round ${round}: ${result.rps.toFixed(0)} req/s, p95 ${result.p95.toFixed(0)} ms, errors ${result.errors}, CPU ms/request ${JSON.stringify(cpu)}`,
      );
    }
  }
}

function medianRows(): string[] {
  const columns = ["gateway", "users", "offers", "reviews", "jobs", "subgraphs"];
  return [
    "| build | dedup | req/s | p95 ms | gateway | users | offers | reviews | jobs | subgraphs (sum) |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...dedupSettings.flatMap((dedup) =>
      stacks.map((stack) => {
        const mine = rows.filter((r) => r.build === stack.build && r.dedup === dedup);
        const cpu = columns.map((c) => median(mine.map((r) => r.cpuPerRequestMs[c] ?? 0)).toFixed(2));
        return `| ${stack.build} | ${dedup} | ${median(mine.map((r) => r.rps)).toFixed(0)} | ${median(mine.map((r) => r.p95)).toFixed(0)} | ${cpu.join(" | ")} |`;
      }),
    ),
  ];
}

const table = [
  `Federated query, ${new Date().toISOString()}, ${connections} connections, ${durationSec} s per run${cpuDir ? " (under --cpu-prof: CPU figures inflated)" : ""}`,
  "",
  "| build | dedup | round | req/s | p95 ms | errors | gateway | users | offers | reviews | jobs | subgraphs (sum) |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => {
    const c = r.cpuPerRequestMs;
    return `| ${r.build} | ${r.dedup} | ${r.round} | ${r.rps.toFixed(0)} | ${r.p95.toFixed(0)} | ${r.errors} | ${c.gateway} | ${c.users} | ${c.offers} | ${c.reviews} | ${c.jobs} | ${c.subgraphs} |`;
  }),
  ...(rounds > 1 ? ["", "Medians over the rounds:", "", ...medianRows()] : []),
  "",
  "CPU columns: ms of user+system CPU per request, from /proc/<pid>/stat.",
].join("\n");
console.log(`\n${table}\n`);

// Stop gracefully, so every --cpu-prof process writes its profile on exit.
await Promise.all(
  children.map((c) =>
    c.exitCode !== null ? Promise.resolve() : new Promise<void>((resolve) => (c.once("exit", () => resolve()), c.kill("SIGTERM"))),
  ),
);
if (cpuDir) {
  mkdirSync(cpuDir, { recursive: true });
  for (const file of readdirSync(cpuDir).filter((f) => f.endsWith(".cpuprofile"))) {
    const summary = summariseProfile(JSON.parse(readFileSync(join(cpuDir, file), "utf8")) as CpuProfile);
    writeFileSync(join(cpuDir, file.replace(/\.cpuprofile$/, ".md")), `# ${file}\n\n${summary}\n`);
  }
  console.log(`Profiles and summaries in ${cpuDir}`);
}
process.exit(0);
