/**
 * The job pipeline end to end through the public entry point: an image uploaded through the
 * gateway is processed by a real worker process and appears in a federated `offer { images }`.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { startStack, type Stack } from "../support/stack.js";
import { startWorkerProcess, type WorkerProcess } from "../support/worker-process.js";

// A 64×48 PNG (solid colour) made once with sharp; small enough to inline.
const png = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAfUlEQVRoge2SAQkAURSD1slOl9ZQF2M8/sAAOhY+T5O6AQuwviK7kHdJ3YAFWF+RXci7pG7AAqyvyC7kXVI3YAHWV2QX8i6pG7AA6yuyC3mX1A1YgPUV2YW8S+oGLMD6iuxC3iV1AxZgfUV2Ie+SugELsL4iu5B3Sd2AxwN+Vpy88fDIx5oAAAAASUVORK5CYII=",
  "base64",
);

let stack: Stack;
let sql: pg.Client;
let worker: WorkerProcess;
let alice: { accessToken: string; userId: string };
const base = () => stack.gatewayUrl.replace(/\/graphql$/, "");

beforeAll(async () => {
  stack = await startStack({ label: "pipeline", seed: { users: 6, offers: 6, reviewsPerOffer: 1 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
  alice = await stack.login("alice@agora.test");
  worker = startWorkerProcess(stack);
});
afterAll(async () => {
  await worker.stop();
  await sql.end();
  await stack.stop();
});

function upload(file: Buffer, fields: Record<string, string>, token?: string) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append("file", new Blob([new Uint8Array(file)], { type: "image/png" }), "photo.png");
  return fetch(`${base()}/upload`, { method: "POST", body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function waitForJob(id: string, token: string) {
  for (let i = 0; i < 150; i++) {
    const response = await fetch(`${base()}/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } });
    const job = (await response.json()) as any;
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`job ${id} did not finish`);
}

describe("review → moderation job → worker → rating", () => {
  it("rejects a profane review in the background and takes it out of Offer.rating", async () => {
    const bob = await stack.login("bob@agora.test");
    const offer = (
      await sql.query(
        "SELECT id FROM offers.offers WHERE status = 'ACTIVE' AND seller_id <> $1 AND id NOT IN (SELECT offer_id FROM reviews.reviews WHERE author_id = $1) LIMIT 1",
        [bob.userId],
      )
    ).rows[0];
    const rating = async () =>
      (await stack.query(`query($id: ID!) { offer(id: $id) { rating { count } } }`, { id: offer.id })).data.offer.rating.count as number;
    const before = await rating();
    const created = await stack.query(
      `mutation($input: CreateReviewInput!) { createReview(input: $input) { id moderationStatus } }`,
      { input: { offerId: offer.id, rating: 1, body: "This seller is a shit scammer, total crap" } },
      bob.accessToken,
    );
    expect(created.data.createReview.moderationStatus).toBe("PENDING");
    expect(await rating()).toBe(before + 1);

    let status = "PENDING";
    for (let i = 0; i < 100 && status === "PENDING"; i++) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await sql.query("SELECT moderation_status FROM reviews.reviews WHERE id = $1", [created.data.createReview.id])).rows[0]
        .moderation_status;
    }
    expect(status).toBe("REJECTED");
    expect(await rating()).toBe(before);
  });
});

describe("upload → worker → federated offer images", () => {
  it("refuses an anonymous upload with 401 and writes nothing", async () => {
    const response = await upload(png, {});
    expect(response.status).toBe(401);
    expect(existsSync(join(stack.storageDir, "uploads")) ? readdirSync(join(stack.storageDir, "uploads")) : []).toEqual([]);
    expect((await sql.query("SELECT count(*)::int AS n FROM jobs.jobs WHERE type = 'IMAGE_PROCESSING'")).rows[0].n).toBe(0);
  });

  it("accepts an image through the gateway (202), processes it once, and serves it through offer { images }", async () => {
    const offer =
      (await sql.query("SELECT id FROM offers.offers WHERE seller_id = $1 AND status = 'ACTIVE' LIMIT 1", [alice.userId])).rows[0] ??
      (
        await sql.query(
          "UPDATE offers.offers SET seller_id = $1, status = 'ACTIVE' WHERE id = (SELECT id FROM offers.offers LIMIT 1) RETURNING id",
          [alice.userId],
        )
      ).rows[0];
    const response = await upload(png, { offerId: offer.id }, alice.accessToken);
    expect(response.status).toBe(202);
    const accepted = (await response.json()) as any;
    expect(accepted).toMatchObject({ status: "PENDING", statusUrl: `/jobs/${accepted.jobId}` });

    const job = await waitForJob(accepted.jobId, alice.accessToken);
    expect(job.status).toBe("COMPLETED");
    expect(job.progress).toBe(100);

    const images = await stack.query(
      `query($id: ID!) { offer(id: $id) { images { width height format medium { url width format } thumbnail { url width } } } }`,
      { id: offer.id },
    );
    expect(images.errors).toBeUndefined();
    const [image] = images.data.offer.images;
    expect(image).toMatchObject({ width: 64, height: 48, medium: { format: "webp" } });
    expect(image.thumbnail.width).toBeLessThanOrEqual(320);

    const path = new URL(image.medium.url).pathname;
    const file = await fetch(`${base()}${path}`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toMatch(/image\/webp/);
    expect((await sql.query("SELECT count(*)::int AS n FROM jobs.offer_images WHERE job_id = $1", [accepted.jobId])).rows[0].n).toBe(1);
  });
});
