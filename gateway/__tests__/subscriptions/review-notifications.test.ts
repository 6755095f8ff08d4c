/**
 * Review notifications from the reviews subgraph: the seller hears of a review on their offer, the
 * author hears when a moderator decides on it; each payload resolves the review and offer through
 * federation, and nobody else hears of either.
 */
import { Redis } from "ioredis";
import pg from "pg";
import { startStack, type Stack } from "../support/stack.js";
import { liveClient, until, type LiveClient } from "./live-client.js";

let stack: Stack;
let sql: pg.Client;
const clients: LiveClient[] = [];
const redis = new Redis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
const listeners = async (channel: string) => Number(((await redis.pubsub("NUMSUB", channel)) as [string, number])[1]);

beforeAll(async () => {
  stack = await startStack({ label: "livereviews", seed: { users: 5, offers: 3, reviewsPerOffer: 0 } });
  sql = new pg.Client({ connectionString: stack.databaseUrl });
  await sql.connect();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await sql.end();
  await stack.stop();
  redis.disconnect();
});

const notifications = `subscription { notifications { kind message reviewId review { id rating moderationStatus } offer { id title } } }`;

it("tells the seller of a new review and the author of the moderator's decision, and no one else", async () => {
  const [alice, bob, moderator] = await Promise.all(["alice", "bob", "moderator"].map((name) => stack.login(`${name}@agora.test`)));
  const offer = (
    await sql.query(
      "UPDATE offers.offers SET seller_id = $1, status = 'ACTIVE' WHERE id = (SELECT id FROM offers.offers ORDER BY id LIMIT 1) RETURNING id, title",
      [alice!.userId],
    )
  ).rows[0] as { id: string; title: string };
  const [aliceLive, bobLive, moderatorLive] = [alice!, bob!, moderator!].map((user) => liveClient(stack.gatewayUrl, user.accessToken));
  clients.push(aliceLive!, bobLive!, moderatorLive!);
  const [seller, author, bystander] = [aliceLive!, bobLive!, moderatorLive!].map((c) => c.subscribe(notifications));
  for (const user of [alice!, bob!, moderator!])
    await until("listening", async () => (await listeners(`${stack.keyPrefix}live:user:${user.userId}`)) === 1);

  const created = await stack.query(
    `mutation($input: CreateReviewInput!) { createReview(input: $input) { id } }`,
    { input: { offerId: offer.id, rating: 4, body: "Friendly seller, item as described." } },
    bob!.accessToken,
  );
  const reviewId = created.data.createReview.id as string;
  await until("REVIEW_RECEIVED", () => seller!.payloads.length === 1);
  expect(seller!.payloads[0].notifications).toMatchObject({
    kind: "REVIEW_RECEIVED",
    reviewId,
    review: { id: reviewId, rating: 4 },
    offer: { id: offer.id, title: offer.title },
  });

  const moderated = await stack.query(
    `mutation($id: ID!) { moderateReview(id: $id, status: REJECTED) { id } }`,
    { id: reviewId },
    moderator!.accessToken,
  );
  expect(moderated.errors).toBeUndefined();
  await until("REVIEW_MODERATED", () => author!.payloads.some((p) => p.notifications.kind === "REVIEW_MODERATED"));
  expect(author!.payloads.find((p) => p.notifications.kind === "REVIEW_MODERATED").notifications).toMatchObject({
    reviewId,
    review: { id: reviewId, moderationStatus: "REJECTED" },
    offer: { id: offer.id },
  });
  expect(seller!.payloads.map((p) => p.notifications.kind)).toEqual(["REVIEW_RECEIVED"]);
  expect(bystander!.payloads).toEqual([]);
});
