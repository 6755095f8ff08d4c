/**
 * A rate-limit policy: a bucket of `burst` points that refills at `limit` points per `windowSeconds`
 * (GCRA, see rate-limit-store.ts). Written in configuration as `<limit>/<window>s`, optionally
 * followed by `,burst=<points>`, e.g. `1000/60s` or `10/900s,burst=5`.
 */
import { z } from "zod";

export interface RateLimitPolicy {
  /** Points refilled per window: the sustained rate. */
  limit: number;
  /** Length of the window in seconds. */
  windowSeconds: number;
  /**
   * Points a client can spend at once after a quiet period (the bucket's size).
   * @defaultValue `limit`
   */
  burst: number;
}

const policyPattern = /^\s*(\d+)\s*\/\s*(\d+)\s*s\s*(?:,\s*burst\s*=\s*(\d+)\s*)?$/i;

export function parsePolicy(text: string): RateLimitPolicy | string {
  const match = policyPattern.exec(text);
  if (!match?.[1] || !match[2]) return `expected "<limit>/<seconds>s" or "<limit>/<seconds>s,burst=<points>", e.g. "1000/60s"`;
  const limit = Number(match[1]);
  const windowSeconds = Number(match[2]);
  const burst = match[3] === undefined ? limit : Number(match[3]);
  if (limit < 1 || windowSeconds < 1 || burst < 1) return "limit, window and burst must each be at least 1";
  return { limit, windowSeconds, burst };
}

/** A zod field for one policy variable, with its default written the way users write it. */
export const policyEnv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const parsed = parsePolicy(text);
      if (typeof parsed === "string") {
        ctx.addIssue({ code: "custom", message: parsed });
        return z.NEVER;
      }
      return parsed;
    });

/** Milliseconds it takes to refill one point. */
export const emissionIntervalMs = (policy: RateLimitPolicy) => (policy.windowSeconds * 1000) / policy.limit;
