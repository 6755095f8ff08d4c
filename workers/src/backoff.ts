/**
 * The platform's retry backoff, registered on every Worker as a custom BullMQ strategy: jobs are
 * added with `backoff: { type: "exponential-jitter", delay }`. Jitter spreads the retries of many
 * jobs that failed together (a dependency outage) so they do not return in one wave.
 */
import type { BackoffStrategy } from "bullmq";
import { backoffStrategyName } from "@agora/platform/queues";

export const exponentialJitter = backoffStrategyName;

/** delay * 2^(attempt-1) * random(0.5..1.5); `attemptsMade` counts the attempt that just failed (1 for the first). */
export function exponentialJitterDelay(baseDelay: number, attemptsMade: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attemptsMade - 1);
  return Math.round(baseDelay * 2 ** exponent * (0.5 + random()));
}

export const backoffStrategy: BackoffStrategy = (attemptsMade, type, _error, job) => {
  if (type !== exponentialJitter) {
    // Only reached for types BullMQ does not know itself; failing loudly beats never retrying.
    throw new Error(`Unknown backoff type "${type}"; the workers know "${exponentialJitter}", "exponential" and "fixed".`);
  }
  const backoff = job?.opts.backoff;
  const delay = typeof backoff === "object" && backoff.delay !== undefined ? backoff.delay : 1000;
  return exponentialJitterDelay(delay, attemptsMade);
};
