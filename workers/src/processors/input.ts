/** Job inputs are validated once at the start of a job: bad input can never succeed, so it is unrecoverable. */
import type { z } from "zod";
import { unrecoverable } from "../platform-job.js";

export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`).join("; ");
    throw unrecoverable(`Invalid job input: ${issues}`);
  }
  return parsed.data;
}
