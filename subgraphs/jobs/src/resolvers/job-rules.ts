/** Who may see and create which jobs, and what a valid job input is. Each check throws the
 * platform's public errors, naming the field. */
import { badUserInput, forbidden, isAdmin, type Identity } from "@agora/platform";
import { reportRangeEnd } from "@agora/platform/queues";
import { type Db, type Prisma } from "@agora/platform/database";
import type { JobRow } from "../data/models.js";

export const maxJobsPerBatch = 100;
export const maxInputBytes = 16 * 1024;
export const maxRangeDays = 366;
const dayMs = 86_400_000;

/** Types a client may create through createJobs; the rest come from /upload, reviews or schedules. */
const clientTypes: ReadonlySet<Db.JobType> = new Set(["NOOP", "ANALYTICS_REPORT", "SEARCH_REINDEX"]);
const adminOnlyTypes: ReadonlySet<Db.JobType> = new Set(["SEARCH_REINDEX"]);

/**
 * Analytics reports cover the requester's own offers (`sellerId`), or every offer for admins: a
 * seller must not learn other sellers' figures (Offer.stats has the same rule).
 */
export const reportScope = (identity: Identity): { sellerId?: string } => (isAdmin(identity) ? {} : { sellerId: identity.userId });

/** Owner or admin; everyone else sees nothing (null / NOT_FOUND), not even that the job exists. */
export const canSeeJob = (identity: Identity, job: JobRow) => isAdmin(identity) || job.requestedBy === identity.userId;

export interface DateRange {
  from: Date;
  to: Date;
}

export function requireDateRange(from: unknown, to: unknown, field: string): DateRange {
  const parse = (value: unknown, name: string) => {
    const date = value instanceof Date ? value : typeof value === "string" ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) throw badUserInput(`"${field}.${name}" must be an ISO-8601 timestamp.`, `${field}.${name}`);
    return date;
  };
  const range = { from: parse(from, "from"), to: parse(to, "to") };
  if (range.from.getTime() >= range.to.getTime()) throw badUserInput(`"${field}.from" must be before "${field}.to".`, field);
  if (range.to.getTime() - range.from.getTime() > maxRangeDays * dayMs) {
    throw badUserInput(`"${field}" may span at most ${maxRangeDays} days.`, field);
  }
  return range;
}

export function requirePriority(priority: number | null | undefined, field: string): number {
  const value = priority ?? 0;
  if (!Number.isInteger(value) || value < 0 || value > 10) throw badUserInput(`"${field}" must be between 0 and 10, got ${value}.`, field);
  return value;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export interface CreateJobRequest {
  type: Db.JobType;
  priority?: number | null;
  input?: unknown;
}

export interface ValidJob {
  type: Db.JobType;
  priority: number;
  input: Prisma.InputJsonObject;
}

/** Validates a whole batch before anything is written: one bad entry and nothing is created. */
export function validateJobBatch(identity: Identity, requests: readonly CreateJobRequest[]): ValidJob[] {
  if (requests.length === 0) throw badUserInput(`"input" must contain at least one job.`, "input");
  if (requests.length > maxJobsPerBatch)
    throw badUserInput(`"input" may contain at most ${maxJobsPerBatch} jobs, got ${requests.length}.`, "input");
  return requests.map((request, index) => {
    const field = `input[${index}]`;
    if (!clientTypes.has(request.type)) {
      throw badUserInput(
        `"${field}.type": ${request.type} jobs cannot be created directly (allowed: ${[...clientTypes].join(", ")}).`,
        `${field}.type`,
      );
    }
    if (adminOnlyTypes.has(request.type) && !isAdmin(identity)) throw forbidden(`Only admins may create ${request.type} jobs.`);
    const priority = requirePriority(request.priority, `${field}.priority`);
    const input = request.input ?? {};
    if (!isPlainObject(input)) throw badUserInput(`"${field}.input" must be a JSON object.`, `${field}.input`);
    if (Buffer.byteLength(JSON.stringify(input)) > maxInputBytes)
      throw badUserInput(`"${field}.input" must be at most ${maxInputBytes} bytes of JSON.`, `${field}.input`);
    if (request.type === "ANALYTICS_REPORT") {
      // Kept as given (the worker reads a date-only `to` as "through that day"); checked the same way.
      const to = typeof input.to === "string" ? reportRangeEnd(input.to) : input.to;
      requireDateRange(input.from, to, `${field}.input`);
      return { type: request.type, priority, input: { ...input, ...reportScope(identity) } as Prisma.InputJsonObject };
    }
    return { type: request.type, priority, input: input as Prisma.InputJsonObject };
  });
}

/** The UTC days covered by [from, to): from's day through the day of the last instant before `to`. */
export function utcDays(range: DateRange): { firstDay: Date; lastDay: Date } {
  const floor = (t: number) => new Date(Math.floor(t / dayMs) * dayMs);
  return { firstDay: floor(range.from.getTime()), lastDay: floor(range.to.getTime() - 1) };
}
