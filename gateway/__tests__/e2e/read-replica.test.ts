/**
 * Reads go to DATABASE_REPLICA_URL, writes to the primary, and a caller who just wrote reads from
 * the primary (read-your-writes). The "replica" here is a second database with the same seed that
 * never receives the primary's writes, so which one answered is visible in the results.
 */
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ label: "replica", replica: true, seed: { users: 6, offers: 12, reviewsPerOffer: 1 } });
});
afterAll(async () => stack.stop());

const count = async (token?: string) =>
  (await stack.query(`{ offers(first: 1) { totalCount } }`, {}, token)).data.offers.totalCount as number;

describe("read replica routing", () => {
  it("serves reads from the replica, and the writer's own reads from the primary", async () => {
    const alice = await stack.login("alice@agora.test");
    const bob = await stack.login("bob@agora.test");
    const before = await count();
    expect(await count(bob.accessToken)).toBe(before);

    const created = await stack.query(
      `mutation($input: CreateOfferInput!) { createOffer(input: $input) { id } }`,
      {
        input: {
          title: "Replica test lamp",
          description: "Brass",
          price: { amount: "20.00", currency: "EUR" },
          category: "home",
          tags: [],
          location: { lat: 1, lng: 1 },
        },
      },
      alice.accessToken,
    );
    expect(created.errors).toBeUndefined();
    const id = created.data.createOffer.id;
    // In the same request as the write and in the next ones, alice sees her own write…
    const published = await stack.query(`mutation($id: ID!) { publishOffer(id: $id) { status } }`, { id }, alice.accessToken);
    expect(published.data.publishOffer.status).toBe("ACTIVE");
    expect(await count(alice.accessToken)).toBe(before + 1);
    expect((await stack.query(`query($id: ID!) { offer(id: $id) { title } }`, { id }, alice.accessToken)).data.offer.title).toBe(
      "Replica test lamp",
    );

    // …while everyone else reads the replica, which (here) never catches up.
    expect(await count(bob.accessToken)).toBe(before);
    expect(await count()).toBe(before);
    expect(stack.runtimes.offers.db.hasReplica).toBe(true);
  });
});
