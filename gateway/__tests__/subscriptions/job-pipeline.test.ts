/**
 * Live updates from a real worker process, through the public entry point: an uploaded image is
 * followed PENDING → PROCESSING (progress) → COMPLETED with federated offer fields (graphql-ws
 * client), and a requested analytics report arrives as a notification with a download URL that
 * works (Apollo Client, GraphQLWsLink split from HttpLink). Another user receives nothing of it.
 */
import { ApolloClient, HttpLink, InMemoryCache, gql, split } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { getMainDefinition } from "@apollo/client/utilities";
import { createClient } from "graphql-ws";
import { Redis } from "ioredis";
import pg from "pg";
import WebSocket from "ws";
import { startStack, type Stack } from "../support/stack.js";
import { startWorkerProcess, type WorkerProcess } from "../support/worker-process.js";
import { liveClient, until, wsUrl, type LiveClient } from "./live-client.js";

// A 64×48 PNG (solid colour), as in e2e/upload-pipeline.test.ts.
const png = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAfUlEQVRoge2SAQkAURSD1slOl9ZQF2M8/sAAOhY+T5O6AQuwviK7kHdJ3YAFWF+RXci7pG7AAqyvyC7kXVI3YAHWV2QX8i6pG7AA6yuyC3mX1A1YgPUV2YW8S+oGLMD6iuxC3iV1AxZgfUV2Ie+SugELsL4iu5B3Sd2AxwN+Vpy88fDIx5oAAAAASUVORK5CYII=",
  "base64",
);

let stack: Stack;
const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
/** Gateways (subscriber connections) listening on a channel. */
const listeners = async (channel: string) => Number(((await redis.pubsub("NUMSUB", channel)) as [string, number])[1]);
let sql: pg.Client;
let worker: WorkerProcess | undefined;
let alice: { accessToken: string; userId: string };
let bob: { accessToken: string; userId: string };
const clients: LiveClient[] = [];
const base = () => stack.gatewayUrl.replace(/\/graphql$/, "");

beforeAll(async () => {
  stack = await startStack({ label: "livejobs", seed: { users: 6, offers: 6, reviewsPerOffer: 0 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  alice = await stack.login("alice@agora.test");
  bob = await stack.login("bob@agora.test");
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await worker?.stop();
  await sql.end();
  await stack.stop();
  redis.disconnect();
});

async function upload(offerId: string) {
  const form = new FormData();
  form.append("offerId", offerId);
  form.append("file", new Blob([new Uint8Array(png)], { type: "image/png" }), "photo.png");
  const response = await fetch(`${base()}/upload`, {
    method: "POST",
    body: form,
    headers: { authorization: `Bearer ${alice.accessToken}` },
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { jobId: string }).jobId;
}

const notifications = `subscription { notifications { kind message downloadUrl job { id status } offer { id title } } }`;
let bobSaw: { mine: { payloads: unknown[] }; notes: { payloads: unknown[] } };

describe("an uploaded image, followed live", () => {
  it("sends the job's current state, then PROCESSING with progress, then COMPLETED, each with the offer's title", async () => {
    const offer = (
      await sql.query(
        "UPDATE offers.offers SET seller_id = $1, status = 'ACTIVE' WHERE id = (SELECT id FROM offers.offers ORDER BY id LIMIT 1) RETURNING id, title",
        [alice.userId],
      )
    ).rows[0] as { id: string; title: string };
    // No worker yet: the job waits PENDING, so the first state a subscriber gets is known.
    const jobId = await upload(offer.id);

    const aliceLive = liveClient(stack.gatewayUrl, alice.accessToken);
    const bobLive = liveClient(stack.gatewayUrl, bob.accessToken);
    clients.push(aliceLive, bobLive);
    const job = aliceLive.subscribe(`subscription($id: ID!) { jobUpdated(id: $id) { id status progress result offer { id title } } }`, {
      id: jobId,
    });
    const notes = aliceLive.subscribe(notifications);
    bobSaw = { mine: bobLive.subscribe(`subscription { myJobUpdates { id status } }`), notes: bobLive.subscribe(notifications) };
    await until("PENDING", () => job.payloads.length === 1);
    expect(job.payloads[0].jobUpdated).toMatchObject({
      id: jobId,
      status: "PENDING",
      progress: 0,
      offer: { id: offer.id, title: offer.title },
    });

    worker = startWorkerProcess(stack);
    await until("COMPLETED", () => job.payloads.at(-1)?.jobUpdated.status === "COMPLETED", 60_000);
    await until("IMAGE_PROCESSED", () => notes.payloads.length === 1);

    const states = job.payloads.map((p) => p.jobUpdated);
    expect(states.map((s) => s.status)).toEqual(["PENDING", ...states.slice(1, -1).map(() => "PROCESSING"), "COMPLETED"]);
    const processing = states.filter((s) => s.status === "PROCESSING");
    expect(processing.some((s) => s.progress > 0 && s.progress < 100)).toBe(true);
    // Each state once, in order: progress only grows and no payload repeats the one before.
    const keys = states.map((s) => `${s.status}:${s.progress}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(states.map((s) => s.progress)).toEqual([...states.map((s) => s.progress)].sort((a, b) => a - b));
    expect(states.every((s) => s.offer?.title === offer.title)).toBe(true);
    expect(states.at(-1)).toMatchObject({ progress: 100, result: { width: 64, height: 48 } });

    expect(notes.payloads[0].notifications).toMatchObject({
      kind: "IMAGE_PROCESSED",
      message: expect.any(String),
      downloadUrl: null,
      job: { id: jobId, status: "COMPLETED" },
      offer: { id: offer.id, title: offer.title },
    });
    await aliceLive.dispose();
    await until("alice's channel released", async () => (await listeners(`${stack.keyPrefix}live:user:${alice.userId}`)) === 0);
  });
});

describe("an analytics report, announced live (Apollo Client)", () => {
  it("notifies the requester with a download URL that serves the CSV", async () => {
    const wsClient = createClient({
      url: wsUrl(stack.gatewayUrl),
      webSocketImpl: WebSocket,
      connectionParams: () => ({ Authorization: `Bearer ${alice.accessToken}` }),
    });
    const httpLink = new HttpLink({ uri: stack.gatewayUrl, headers: { authorization: `Bearer ${alice.accessToken}` } });
    const link = split(
      ({ query }) => {
        const definition = getMainDefinition(query);
        return definition.kind === "OperationDefinition" && definition.operation === "subscription";
      },
      new GraphQLWsLink(wsClient),
      httpLink,
    );
    const apollo = new ApolloClient({ link, cache: new InMemoryCache() });
    const received: any[] = [];
    const subscription = apollo
      .subscribe({ query: gql(`subscription { notifications { id kind message downloadUrl job { id status } } }`) })
      .subscribe({ next: (result) => void received.push((result.data as { notifications?: unknown } | undefined)?.notifications) });
    try {
      // Subscribed once Redis confirmed alice's channel for this gateway.
      await until("listening", async () => (await listeners(`${stack.keyPrefix}live:user:${alice.userId}`)) === 1);

      const requested = await apollo.mutate({
        mutation: gql(`mutation($range: DateRangeInput!) { requestAnalyticsReport(range: $range) { id status } }`),
        variables: { range: { from: "2026-01-01T00:00:00Z", to: "2026-12-31T00:00:00Z" } },
      });
      const jobId = (requested.data as any).requestAnalyticsReport.id as string;
      const note = await until("REPORT_READY", () => received.find((n) => n?.kind === "REPORT_READY"), 60_000);
      expect(note).toMatchObject({
        kind: "REPORT_READY",
        job: { id: jobId, status: "COMPLETED" },
        downloadUrl: expect.stringMatching(/\/files\/reports\//),
      });

      const file = await fetch(`${base()}${new URL(note.downloadUrl).pathname}`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
      expect(file.status).toBe(200);
      expect(file.headers.get("content-type")).toMatch(/text\/csv/);
      expect((await file.text()).split("\n")[0]).toBe("offer_id,views,search_results,unique_viewers");
      // Someone else holding the URL gets nothing.
      expect(
        (await fetch(`${base()}${new URL(note.downloadUrl).pathname}`, { headers: { authorization: `Bearer ${bob.accessToken}` } })).status,
      ).toBe(404);
    } finally {
      subscription.unsubscribe();
      await wsClient.dispose();
    }
  });

  it("sent the other user nothing of alice's jobs or notifications", () => {
    expect(bobSaw.mine.payloads).toEqual([]);
    expect(bobSaw.notes.payloads).toEqual([]);
  });
});
