/** The fields the jobs subgraph contributes to Offer (images, stats), resolved as the gateway
 * would: through _entities with representations. */
import { randomUUID } from "node:crypto";
import { startHarness, user, type Harness, type TestUser } from "./support.js";

let h: Harness;
let seller: TestUser;
let stranger: TestUser;
let admin: TestUser;

beforeAll(async () => {
  // No relay poll: it would add its own statements to the per-request counts below.
  h = await startHarness({ settings: { publicBaseUrl: "http://127.0.0.1:4000/", startRelay: false } });
  [seller, stranger, admin] = await Promise.all([user(), user(), user("ADMIN")]);
});
afterAll(async () => {
  await h.close();
});

const imagesQuery = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Offer { id images {
  id width height format bytes dominantColor blurhash
  original { url width height format bytes } medium { url width } thumbnail { url width height } } } } }`;

async function addImage(offerId: string, n: number, uploadedBy = seller.userId) {
  const jobId = randomUUID();
  const variant = (file: string, width: number) => ({
    path: `images/${jobId}/${file}`,
    width,
    height: width / 2,
    format: "webp",
    bytes: width * 10,
  });
  await h.db.primary.offerImage.create({
    data: {
      jobId,
      offerId,
      uploadedBy,
      width: 1600,
      height: 800,
      format: "jpeg",
      bytes: 123_456,
      dominantColor: "#336699",
      blurhash: `LEHV6nWB2yk8pyo0adR*.7kCMdnj${n}`,
      variants: { original: variant("original.webp", 1600), medium: variant("medium.webp", 800), thumbnail: variant("thumb.webp", 200) },
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
    },
  });
  return jobId;
}

describe("Offer.images", () => {
  it("lists each offer's images with variant URLs under /files", async () => {
    const offerA = randomUUID();
    const offerB = randomUUID();
    const first = await addImage(offerA, 1);
    await addImage(offerA, 2);
    const response = await h.gql(imagesQuery, {
      reps: [
        { __typename: "Offer", id: offerA, seller: { id: seller.userId } },
        { __typename: "Offer", id: offerB, seller: { id: seller.userId } },
      ],
    });
    expect(response.errors).toBeUndefined();
    const [a, b] = response.data!._entities;
    expect(b).toEqual({ id: offerB, images: [] });
    expect(a.images).toHaveLength(2);
    expect(a.images[0]).toMatchObject({
      width: 1600,
      height: 800,
      format: "jpeg",
      bytes: 123_456,
      dominantColor: "#336699",
      original: {
        url: `http://127.0.0.1:4000/files/images/${first}/original.webp`,
        width: 1600,
        height: 800,
        format: "webp",
        bytes: 16_000,
      },
      medium: { url: `http://127.0.0.1:4000/files/images/${first}/medium.webp`, width: 800 },
      thumbnail: { url: `http://127.0.0.1:4000/files/images/${first}/thumb.webp`, width: 200, height: 100 },
    });
  });

  it("shows only images the offer's seller uploaded (anyone may upload with any offerId)", async () => {
    const offerId = randomUUID();
    const own = await addImage(offerId, 4);
    await addImage(offerId, 5, randomUUID()); // someone else attached an image to this offer
    const response = await h.gql(imagesQuery, { reps: [{ __typename: "Offer", id: offerId, seller: { id: seller.userId } }] });
    expect(response.data!._entities[0].images.map((i: { original: { url: string } }) => i.original.url)).toEqual([
      `http://127.0.0.1:4000/files/images/${own}/original.webp`,
    ]);
  });

  it("loads the images of any number of offers with the same number of SQL statements", async () => {
    const statementsFor = async (count: number) => {
      const offers = Array.from({ length: count }, () => randomUUID());
      for (const offerId of offers.slice(0, 3)) await addImage(offerId, 3);
      const before = h.db.statementCount();
      const response = await h.gql(imagesQuery, { reps: offers.map((id) => ({ __typename: "Offer", id, seller: { id: seller.userId } })) });
      expect(response.errors).toBeUndefined();
      return h.db.statementCount() - before;
    };
    const few = await statementsFor(2);
    const many = await statementsFor(40);
    expect(many).toBe(few);
  });
});

describe("Offer.stats", () => {
  const statsQuery = `query($reps: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $reps) { ... on Offer { id stats(from: $from, to: $to) { day views searchResults uniqueViewers } } } }`;
  const offerId = randomUUID();
  const reps = () => [{ __typename: "Offer", id: offerId, seller: { id: seller.userId } }];

  beforeAll(async () => {
    await h.db.primary.offerDailyStats.createMany({
      data: [
        { offerId, day: new Date("2026-03-01T00:00:00Z"), views: 10, searchResults: 4, uniqueViewers: 7 },
        { offerId, day: new Date("2026-03-03T00:00:00Z"), views: 2, searchResults: 0, uniqueViewers: 2 },
        { offerId, day: new Date("2026-03-09T00:00:00Z"), views: 99, searchResults: 9, uniqueViewers: 9 },
      ],
    });
  });

  it("gives the seller every day of the range, zero where nothing happened", async () => {
    const response = await h.gql(statsQuery, { reps: reps(), from: "2026-03-01T00:00:00Z", to: "2026-03-04T00:00:00Z" }, seller);
    expect(response.errors).toBeUndefined();
    expect(response.data!._entities[0].stats).toEqual([
      { day: "2026-03-01", views: 10, searchResults: 4, uniqueViewers: 7 },
      { day: "2026-03-02", views: 0, searchResults: 0, uniqueViewers: 0 },
      { day: "2026-03-03", views: 2, searchResults: 0, uniqueViewers: 2 },
    ]);
  });

  it("lets admins see them too", async () => {
    const response = await h.gql(statsQuery, { reps: reps(), from: "2026-03-09T00:00:00Z", to: "2026-03-09T12:00:00Z" }, admin);
    expect(response.data!._entities[0].stats).toEqual([{ day: "2026-03-09", views: 99, searchResults: 9, uniqueViewers: 9 }]);
  });

  it("refuses anyone else, and anonymous callers", async () => {
    const other = await h.gql(statsQuery, { reps: reps(), from: "2026-03-01T00:00:00Z", to: "2026-03-04T00:00:00Z" }, stranger);
    expect(other.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const anonymous = await h.gql(statsQuery, { reps: reps(), from: "2026-03-01T00:00:00Z", to: "2026-03-04T00:00:00Z" });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("refuses backwards ranges and ranges over 366 days", async () => {
    for (const [from, to] of [
      ["2026-03-04T00:00:00Z", "2026-03-01T00:00:00Z"],
      ["2025-01-01T00:00:00Z", "2026-01-03T00:00:00Z"],
    ]) {
      const response = await h.gql(statsQuery, { reps: reps(), from, to }, seller);
      expect(response.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
  });
});

describe("Job entity", () => {
  it("resolves a Job reference for its owner only", async () => {
    const created = await h.gql(`mutation { createJobs(input: [{ type: NOOP }]) { id } }`, {}, seller);
    const id = created.data!.createJobs[0].id;
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Job { id status } } }`;
    expect((await h.gql(query, { reps: [{ __typename: "Job", id }] }, seller)).data!._entities).toEqual([
      { id, status: expect.any(String) },
    ]);
    expect((await h.gql(query, { reps: [{ __typename: "Job", id }] }, stranger)).data!._entities).toEqual([null]);
  });
});
