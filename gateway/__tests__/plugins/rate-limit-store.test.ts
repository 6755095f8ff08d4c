/** GCRA arithmetic of the per-process fallback (the Redis script does the same, tested end to end). */
import { MemoryGcra, type BucketCharge } from "../../src/plugins/rate-limit-store.js";

const policy = { limit: 10, windowSeconds: 60, burst: 5 };
const charge = (key: string, cost = 1): BucketCharge => ({ name: "test", key, policy, cost });

describe("GCRA buckets", () => {
  it("allow a burst, then refill one point per window / limit", async () => {
    let now = 1_000_000;
    const store = new MemoryGcra(() => now);
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await store.consume([charge("a")]));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
    expect(results.map((r) => r.buckets[0]?.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    // A point refills every 6 s (60 s / 10).
    expect(results[5]?.retryAfterMs).toBe(6000);
    now += 5999;
    expect((await store.consume([charge("a")])).allowed).toBe(false);
    now += 1;
    expect((await store.consume([charge("a")])).allowed).toBe(true);
  });

  it("charge all buckets of a decision or none", async () => {
    const store = new MemoryGcra(() => 0);
    expect((await store.consume([charge("user", 4)])).allowed).toBe(true);
    const refused = await store.consume([charge("ip", 2), charge("user", 2)]);
    expect(refused.allowed).toBe(false);
    expect(refused.buckets.map((b) => b.remaining)).toEqual([5, 1]);
    expect((await store.consume([charge("ip", 5)])).allowed).toBe(true);
  });

  it("charge an operation costlier than the whole bucket as a full bucket", async () => {
    const store = new MemoryGcra(() => 0);
    const decision = await store.consume([charge("big", 1000)]);
    expect(decision.allowed).toBe(true);
    expect(decision.buckets[0]).toMatchObject({ remaining: 0, resetMs: 30_000 });
  });
});
