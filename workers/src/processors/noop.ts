/**
 * NOOP jobs do nothing useful on purpose: they exercise the pipeline (benchmarks, tests, smoke
 * checks). Input: `{ sleepMs?: number, fail?: "transient" | "unrecoverable" }`. A sleep runs in
 * steps that report progress and honour cancellation, like any long job should.
 */
import { z } from "zod";
import { unrecoverable, type JobHandler } from "../platform-job.js";
import { parseInput } from "./input.js";

const noopInput = z.object({
  sleepMs: z.number().int().min(0).max(600_000).default(0),
  fail: z.enum(["transient", "unrecoverable"]).optional(),
});

const step = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const noop: JobHandler = async (ctx) => {
  const input = parseInput(noopInput, ctx.row.input);
  const startedAt = new Date().toISOString();
  for (let slept = 0; slept < input.sleepMs; slept += step) {
    await ctx.throwIfCancelled();
    await sleep(Math.min(step, input.sleepMs - slept));
    ctx.progress((100 * (slept + step)) / input.sleepMs);
  }
  if (input.fail === "unrecoverable") throw unrecoverable("NOOP asked to fail without retries");
  if (input.fail === "transient") throw new Error(`NOOP asked to fail (attempt ${ctx.bullJob.attemptsMade + 1})`);
  return { sleptMs: input.sleepMs, startedAt, attempt: ctx.row.attempts };
};
