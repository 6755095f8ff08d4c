import { exponentialJitterDelay } from "../src/backoff.js";

describe("exponential-jitter backoff", () => {
  it("doubles per attempt within ±50 % jitter", () => {
    expect([1, 2, 3, 4].map((attempt) => exponentialJitterDelay(1000, attempt, () => 0.5))).toEqual([1000, 2000, 4000, 8000]);
    expect(exponentialJitterDelay(1000, 3, () => 0)).toBe(2000);
    expect(exponentialJitterDelay(1000, 3, () => 0.999999)).toBe(6000);
    for (let i = 0; i < 100; i++) {
      const delay = exponentialJitterDelay(200, 2);
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(600);
    }
  });
});
