/**
 * Tracing across processes: the gateway, the subgraphs and a worker run as real processes with
 * OTEL_TRACES_EXPORTER=otlp, exporting OTLP/HTTP JSON to a receiver in this test. One client
 * request is one trace: the gateway's spans, the subgraphs' spans (over W3C traceparent), their
 * SQL, and the worker's processing of the job the request queued (through jobs.jobs and BullMQ).
 * Every process's log lines for that request carry its trace id and request id.
 */
import pg from "pg";
import { eventually, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "@agora/platform/testing";
import { startPlatform, type Platform, type ServiceName } from "../support/service-processes.js";

// A 64×48 PNG (solid colour), as in upload-pipeline.test.ts.
const png = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAfUlEQVRoge2SAQkAURSD1slOl9ZQF2M8/sAAOhY+T5O6AQuwviK7kHdJ3YAFWF+RXci7pG7AAqyvyC7kXVI3YAHWV2QX8i6pG7AA6yuyC3mX1A1YgPUV2YW8S+oGLMD6iuxC3iV1AxZgfUV2Ie+SugELsL4iu5B3Sd2AxwN+Vpy88fDIx5oAAAAASUVORK5CYII=",
  "base64",
);
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

let receiver: OtlpReceiver;
let platform: Platform;
let sql: pg.Client;
let alice: { accessToken: string; userId: string };
const base = () => platform.gatewayUrl.replace(/\/graphql$/, "");

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  platform = await startPlatform("tracing", {
    LOG_LEVEL: "debug",
    LOG_FORMAT: "json",
    OTEL_TRACES_EXPORTER: "otlp",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_TRACES_SAMPLER: "parentbased_always_on",
    OTEL_BSP_SCHEDULE_DELAY: "100",
  });
  sql = new pg.Client({ connectionString: platform.databaseUrl });
  await sql.connect();
  alice = await platform.login("alice@agora.test");
}, 180_000);
afterAll(async () => {
  await sql?.end();
  await platform?.stop();
  await receiver?.close();
});

const inTrace = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);
const byId = (spans: ReceivedSpan[], id: string) => spans.find((span) => span.spanId === id);
/** Whether `span` descends from `ancestor` through recorded parents. */
function descends(spans: ReceivedSpan[], span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
  for (let at: ReceivedSpan | undefined = span; at; at = byId(spans, at.parentSpanId)) if (at.spanId === ancestor.spanId) return true;
  return false;
}
const serverSpan = (spans: ReceivedSpan[], service: ServiceName, name: string) =>
  spans.find((span) => span.service === service && span.kind === SERVER && span.name === name);

/** A trace id the client chose, as in a traceparent header. */
const randomHex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

describe("one trace per client request", () => {
  it("a federated query continues the client's traceparent through the gateway into two subgraphs and their SQL", async () => {
    const traceId = randomHex(16);
    const clientSpanId = randomHex(8);
    const response = await fetch(platform.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: `00-${traceId}-${clientSpanId}-01` },
      body: JSON.stringify({ query: "{ offers(first: 2) { edges { node { title seller { displayName } } } } }" }),
    });
    const body = (await response.json()) as any;
    expect(body.errors).toBeUndefined();
    expect(body.data.offers.edges.length).toBeGreaterThan(0);

    const spans = await eventually(() => {
      const found = inTrace(traceId);
      return serverSpan(found, "offers", "POST /graphql") && serverSpan(found, "users", "POST /graphql") ? found : null;
    }, "the subgraphs' spans");
    const gateway = serverSpan(spans, "gateway", "POST /graphql");
    expect(gateway?.parentSpanId).toBe(clientSpanId);
    // @apollo/gateway's own spans, under the request's.
    const fetches = spans.filter((span) => span.service === "gateway" && span.name === "gateway.fetch");
    expect(fetches.length).toBeGreaterThanOrEqual(2);
    for (const service of ["offers", "users"] as const) {
      const server = serverSpan(spans, service, "POST /graphql")!;
      // The subgraph's span is the child of the gateway's HTTP client span (traceparent), which
      // descends from the gateway's request span.
      const parent = byId(spans, server.parentSpanId);
      expect(parent).toMatchObject({ service: "gateway", kind: CLIENT });
      expect(descends(spans, parent!, gateway!)).toBe(true);
    }
    // SQL (pg, under Prisma's adapter) inside the offers subgraph's request.
    await eventually(
      () =>
        inTrace(traceId).some((span) => span.service === "offers" && span.attributes["db.system.name"] === "postgresql") ||
        inTrace(traceId).some((span) => span.service === "offers" && span.attributes["db.system"] === "postgresql"),
      "an SQL span of the offers subgraph",
    );
  }, 60_000);

  it("an upload is one trace: gateway → jobs subgraph → outbox relay → BullMQ → the worker's processing", async () => {
    const offer =
      (await sql.query("SELECT id FROM offers.offers WHERE seller_id = $1 LIMIT 1", [alice.userId])).rows[0] ??
      (
        await sql.query("UPDATE offers.offers SET seller_id = $1 WHERE id = (SELECT id FROM offers.offers LIMIT 1) RETURNING id", [
          alice.userId,
        ])
      ).rows[0];
    const form = new FormData();
    form.append("offerId", offer.id);
    form.append("file", new Blob([new Uint8Array(png)], { type: "image/png" }), "photo.png");
    const response = await fetch(`${base()}/upload`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${alice.accessToken}` },
    });
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };

    const worker = await eventually(
      () =>
        receiver.spans.find(
          (span) => span.service === "workers" && span.kind === CONSUMER && span.attributes["messaging.message.id"] === jobId,
        ),
      "the worker's span of the upload's job",
      60_000,
    );
    const spans = await eventually(() => {
      const found = inTrace(worker.traceId);
      return serverSpan(found, "gateway", "POST /upload") && serverSpan(found, "jobs", "POST /upload") ? found : null;
    }, "the gateway's and the jobs subgraph's spans in the worker's trace");
    const gateway = serverSpan(spans, "gateway", "POST /upload")!;
    const jobs = serverSpan(spans, "jobs", "POST /upload")!;
    expect(gateway.parentSpanId).toBe("");
    expect(jobs.parentSpanId).toBe(gateway.spanId);
    const publish = byId(spans, worker.parentSpanId);
    expect(publish).toMatchObject({ service: "jobs", kind: PRODUCER, name: "publish image-processing" });
    expect(publish?.parentSpanId).toBe(jobs.spanId);
    expect(worker.name).toBe("process image-processing");
    // The worker's own SQL and Redis calls are inside its span.
    await eventually(
      () => inTrace(worker.traceId).some((span) => span.service === "workers" && span.parentSpanId === worker.spanId),
      "a child span of the worker's processing",
    );

    // Every process's log lines for this request carry its trace id and the request id.
    const lines = (service: ServiceName) => platform.services[service].logs().filter((line) => line.trace_id === worker.traceId);
    await eventually(() => lines("workers").some((line) => line.msg === "job completed"), "the worker's log line");
    const gatewayLine = lines("gateway").find((line) => line.msg === "request answered" && line.path === "/upload");
    const jobsLine = lines("jobs").find((line) => line.msg === "request answered" && line.path === "/upload");
    expect(gatewayLine).toMatchObject({ service: "gateway", span_id: gateway.spanId, request_id: expect.any(String) });
    expect(jobsLine).toMatchObject({ service: "jobs", span_id: jobs.spanId, request_id: gatewayLine?.request_id });
    expect(lines("workers").find((line) => line.msg === "job completed")).toMatchObject({
      service: "workers",
      jobId,
      span_id: worker.spanId,
      request_id: gatewayLine?.request_id,
    });
  }, 90_000);

  it("a review is one trace across three subgraphs and the worker that moderates it", async () => {
    const bob = await platform.login("bob@agora.test");
    const offer = (
      await sql.query(
        "SELECT id FROM offers.offers WHERE status = 'ACTIVE' AND seller_id <> $1 AND id NOT IN (SELECT offer_id FROM reviews.reviews WHERE author_id = $1) LIMIT 1",
        [bob.userId],
      )
    ).rows[0];
    const response = await fetch(platform.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${bob.accessToken}` },
      body: JSON.stringify({
        query: "mutation($input: CreateReviewInput!) { createReview(input: $input) { id } }",
        variables: { input: { offerId: offer.id, rating: 5, body: "Exactly as described, thank you" } },
      }),
    });
    const body = (await response.json()) as any;
    expect(body.errors).toBeUndefined();
    const reviewId = body.data.createReview.id as string;
    const job = await eventually(
      async () => (await sql.query("SELECT id FROM jobs.jobs WHERE type = 'MODERATION' AND input->>'reviewId' = $1", [reviewId])).rows[0],
      "the moderation job row",
    );
    const worker = await eventually(
      () =>
        receiver.spans.find(
          (span) => span.service === "workers" && span.kind === CONSUMER && span.attributes["messaging.message.id"] === job.id,
        ),
      "the worker's span of the moderation job",
      60_000,
    );
    const spans = await eventually(() => {
      const found = inTrace(worker.traceId);
      return ["gateway", "reviews", "offers", "jobs"].every((service) => found.some((span) => span.service === service)) ? found : null;
    }, "every service's spans in the moderation job's trace");
    const gateway = serverSpan(spans, "gateway", "POST /graphql")!;
    expect(gateway.parentSpanId).toBe("");
    // The relay ran in the jobs process, after the request: its PRODUCER span continues the
    // context stored with the row by the reviews subgraph, which offers answered for it too.
    const publish = byId(spans, worker.parentSpanId)!;
    expect(publish).toMatchObject({ service: "jobs", kind: PRODUCER });
    expect(byId(spans, publish.parentSpanId)?.service).toBe("reviews");
    expect(descends(spans, byId(spans, publish.parentSpanId)!, serverSpan(spans, "reviews", "POST /graphql")!)).toBe(true);
    expect(descends(spans, worker, gateway)).toBe(true);
    expect(descends(spans, serverSpan(spans, "offers", "POST /graphql")!, gateway)).toBe(true);
  }, 90_000);
});
