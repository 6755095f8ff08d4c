/**
 * A subscription through HAProxy survives the loss of the gateway holding its socket: kill -9 that
 * gateway, graphql-ws's client reconnects through HAProxy to the other one, re-subscribes, gets the
 * job's current state at once, and then the next change. Real HAProxy, real gateway processes.
 */
import { setTimeout as delay } from "node:timers/promises";
import { startStack, type Stack } from "../support/stack.js";
import { type GatewayProcess, type Haproxy, haproxyInstalled, runtimeApi, startTier, stopChild } from "../support/tier.js";
import { liveClient, until, type LiveClient } from "./live-client.js";

const describeWithHaproxy = haproxyInstalled ? describe : describe.skip;
if (!haproxyInstalled) console.warn("HAProxy reconnect test skipped: HAProxy is not installed (apt-get install haproxy)");

let stack: Stack;
let haproxy: Haproxy | undefined;
let live: LiveClient | undefined;
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  if (haproxyInstalled) stack = await startStack({ label: "wsfailover", seed: { users: 5, offers: 5, reviewsPerOffer: 0 } });
});
afterAll(async () => {
  if (!haproxyInstalled) return;
  await live?.dispose();
  await haproxy?.stop();
  await Promise.all(gateways.map((g) => stopChild(g, 5000)));
  await stack.stop();
});

async function post(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

describeWithHaproxy("subscriptions through HAProxy", () => {
  it("kill -9 of the gateway holding the socket: the client reconnects through HAProxy and gets the job's current state, then its next change", async () => {
    const tier = await startTier(stack, gateways);
    const { primary } = tier;
    haproxy = tier.haproxy;

    const { accessToken } = await stack.login("alice@agora.test");
    // No worker runs here: the report job stays PENDING until it is cancelled.
    const requested = await post(
      haproxy.url,
      accessToken,
      `mutation($range: DateRangeInput!) { requestAnalyticsReport(range: $range) { id status } }`,
      {
        range: { from: "2026-01-01T00:00:00Z", to: "2026-12-31T00:00:00Z" },
      },
    );
    const jobId = requested.data?.requestAnalyticsReport?.id as string;
    expect(jobId).toBeTruthy();

    // Only the primary takes new connections while the socket opens, so we know who holds it.
    await runtimeApi(haproxy.statsSocket, "disable server gateways/secondary");
    live = liveClient(`${haproxy.url}/graphql`, accessToken, { retryAttempts: 20 });
    const updates = live.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { id status } }`, { id: jobId });
    await until("the current state on the first socket", () => updates.payloads.length >= 1);
    expect(updates.payloads[0]).toEqual({ jobUpdated: { id: jobId, status: "PENDING" } });
    await runtimeApi(haproxy.statsSocket, "enable server gateways/secondary");
    await haproxy.waitForStatus("secondary", "UP");

    primary.process.kill("SIGKILL");
    await primary.exited;
    // Reconnected through HAProxy to the secondary and re-subscribed: the current state again.
    await until("the current state after reconnecting", () => updates.payloads.length >= 2, 30_000);
    expect(updates.payloads[1]).toEqual({ jobUpdated: { id: jobId, status: "PENDING" } });
    expect(live.closes.length).toBeGreaterThanOrEqual(1);

    // The next change arrives on the new socket.
    const cancelled = await post(haproxy.url, accessToken, `mutation($id: ID!) { cancelJob(id: $id) { status } }`, { id: jobId });
    expect(cancelled.data?.cancelJob?.status).toBe("CANCELLED");
    await until("CANCELLED on the new socket", () => updates.payloads.some((p) => p?.jobUpdated?.status === "CANCELLED"));
    await delay(300); // nothing else may follow: each state once
    expect(updates.payloads.map((p) => p.jobUpdated.status)).toEqual(["PENDING", "PENDING", "CANCELLED"]);
    expect(updates.errors).toEqual([]);
  });
});
