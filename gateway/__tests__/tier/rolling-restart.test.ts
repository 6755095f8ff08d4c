/**
 * A rolling restart of both gateways (SIGTERM, wait for the exit, start again, wait until HAProxy
 * has it back in rotation, then the other one) under steady load through real HAProxy fails no
 * request and runs no mutation twice: a stopping gateway reports itself not ready, refuses new
 * connections (which HAProxy retries on the other gateway) and finishes what it has in flight.
 */
import { setTimeout as delay } from "node:timers/promises";
import { longestGapMs, startGatewayProcess, startLoad, tierFixture } from "../support/tier.js";

const fx = tierFixture("rolling", "rolling restart");

fx.describe("a rolling SIGTERM restart of both gateways behind HAProxy", () => {
  it("fails no request and runs no mutation twice", async () => {
    const tier = await fx.startTier();
    const { ports } = tier;
    const running = { primary: tier.primary, secondary: tier.secondary };
    const haproxy = tier.haproxy;

    const { accessToken } = await fx.stack.login("alice@agora.test");
    const titlePrefix = `rolling-${Date.now()}`;
    const load = startLoad(haproxy.url, { concurrency: 6, pauseMs: 10, token: accessToken, titlePrefix });
    const loadStart = Date.now();
    await delay(1500);

    const exits: string[] = [];
    for (const name of ["primary", "secondary"] as const) {
      const old = running[name];
      old.process.kill("SIGTERM");
      const { code, signal } = await old.exited;
      exits.push(`${name}: ${signal ?? `code ${code}`}`);
      expect({ name, code, signal }).toEqual({ name, code: 0, signal: null });
      running[name] = await startGatewayProcess(fx.stack, name, ports[name]);
      fx.gateways.push(running[name]);
      await haproxy.waitForStatus(name, "UP", 30_000);
      await delay(1000);
    }
    await load.stop();
    const loadEnd = Date.now();

    const failed = load.outcomes.filter((o) => !o.ok);
    const mutations = load.outcomes.filter((o) => o.kind === "mutation");
    const rowsByTitle = await fx.offersByTitle(titlePrefix);
    console.log(
      [
        `rolling restart (SIGTERM, restart, wait for UP; primary then secondary) under load through HAProxy:`,
        `  requests: ${load.outcomes.length} (${mutations.length} mutations), failed: ${failed.length}; exits: ${exits.join(", ")}`,
        `  longest gap without a successful answer: ${longestGapMs(load.outcomes, loadStart, loadEnd)} ms`,
        ...failed.map((o) => `  failed: ${o.kind} at +${o.startedAt - loadStart} ms, status ${o.status} ${o.detail ?? ""}`),
      ].join("\n"),
    );

    expect(failed).toEqual([]);
    for (const m of mutations) expect({ title: m.title, n: rowsByTitle.get(m.title!) ?? 0 }).toEqual({ title: m.title, n: 1 });
    const stats = await haproxy.stats();
    expect(stats.primary?.status).toMatch(/^UP/);
    expect(stats.secondary?.status).toMatch(/^UP/);
  }, 180_000);
});
