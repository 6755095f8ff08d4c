/**
 * Failover through real HAProxy (infra/haproxy/haproxy.cfg) in front of two real gateway
 * processes: under steady load, `kill -9` the primary. Nothing may fail except requests that were
 * in flight when it died, no mutation may run twice, and once the primary is back it gets its
 * share of traffic again without flapping. The figures (failed requests, longest gap without a
 * successful answer) are printed; the gap is only checked against a generous bound.
 */
import { setTimeout as delay } from "node:timers/promises";
import { longestGapMs, startGatewayProcess, startLoad, tierFixture } from "../support/tier.js";

const fx = tierFixture("failover", "failover");

fx.describe("HAProxy in front of a primary and a secondary gateway", () => {
  it("survives kill -9 of the primary under load: only in-flight requests may fail, no mutation runs twice, traffic returns without flapping", async () => {
    const tier = await fx.startTier();
    const { ports, primary, secondary } = tier;
    const haproxy = tier.haproxy;

    const { accessToken } = await fx.stack.login("alice@agora.test");
    const titlePrefix = `failover-${Date.now()}`;
    const load = startLoad(haproxy.url, { concurrency: 6, pauseMs: 10, token: accessToken, titlePrefix });
    const loadStart = Date.now();
    await delay(2000);

    // Both gateways serve (active-active) before the kill.
    const before = await haproxy.stats();
    expect(before.primary?.total).toBeGreaterThan(0);
    expect(before.secondary?.total).toBeGreaterThan(0);

    const inFlightAtKill = load.inFlight();
    const killedAt = Date.now();
    primary.process.kill("SIGKILL");
    await primary.exited;
    const exitedAt = Date.now();
    await haproxy.waitForStatus("primary", "DOWN", 10_000);
    const downSeenAt = Date.now();
    await delay(3000);

    // Bring the primary back on its port; HAProxy needs three good checks (rise 3).
    const restarted = await startGatewayProcess(fx.stack, "primary", ports.primary);
    fx.gateways.push(restarted);
    await haproxy.waitForStatus("primary", "UP", 30_000);
    const back = await haproxy.stats();
    await delay(3000);
    const end = await haproxy.stats();
    await load.stop();
    const loadEnd = Date.now();

    const failed = load.outcomes.filter((o) => !o.ok);
    const gap = longestGapMs(load.outcomes, loadStart, loadEnd);
    const mutations = load.outcomes.filter((o) => o.kind === "mutation");
    const rowsByTitle = await fx.offersByTitle(titlePrefix);
    const primaryShare =
      (end.primary!.total - back.primary!.total) /
      (end.primary!.total - back.primary!.total + end.secondary!.total - back.secondary!.total);
    console.log(
      [
        `failover (kill -9 of the primary under load through HAProxy):`,
        `  requests: ${load.outcomes.length} (${mutations.length} mutations), failed: ${failed.length}, in flight at the kill: ${inFlightAtKill}, process gone ${exitedAt - killedAt} ms after the signal`,
        `  longest gap without a successful answer: ${gap} ms; HAProxy marked the primary DOWN ${downSeenAt - killedAt} ms after the kill (as polled)`,
        `  after the primary came back: its share of requests ${(primaryShare * 100).toFixed(0)} %, UP->DOWN transitions ${back.primary!.downs} -> ${end.primary!.downs}`,
        ...failed.map(
          (o) => `  failed: ${o.kind} started ${o.startedAt - killedAt} ms from the kill, status ${o.status} ${o.detail ?? ""}`,
        ),
      ].join("\n"),
    );

    // Only requests in flight on the killed process may fail: none started after it was gone.
    // (The kernel tears a killed process down in a few milliseconds, so a request that started just
    // after the signal can still have reached it.)
    const inFlightWhileDying = inFlightAtKill + load.outcomes.filter((o) => o.startedAt > killedAt && o.startedAt <= exitedAt).length;
    expect(failed.length).toBeLessThanOrEqual(inFlightWhileDying);
    for (const o of failed) expect(o.startedAt).toBeLessThanOrEqual(exitedAt);
    expect(gap).toBeLessThan(10_000);

    // No mutation ran twice; every one reported done ran exactly once.
    for (const m of mutations) {
      const n = rowsByTitle.get(m.title!) ?? 0;
      expect({ title: m.title, n: Math.min(n, 2) }).toEqual({ title: m.title, n: m.ok ? 1 : Math.min(n, 1) });
    }
    expect(Math.max(0, ...rowsByTitle.values())).toBeLessThanOrEqual(1);

    // Traffic returns to the primary and it stays up (no flapping).
    expect(end.primary?.status).toMatch(/^UP/);
    expect(end.primary!.downs).toBe(back.primary!.downs);
    expect(primaryShare).toBeGreaterThan(0.25);
    expect(secondary.process.exitCode).toBeNull();
  }, 180_000);
});
