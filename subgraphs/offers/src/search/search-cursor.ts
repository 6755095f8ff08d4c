/**
 * Search cursors are keyset positions, so pages stay stable while offers are added or removed: the
 * last hit's sort values (primary key of the sort, createdAt, id), plus Elasticsearch's point in
 * time, plus a fingerprint of the search they belong to. A cursor of another query, filter, sort or
 * backend, or a tampered one, is refused with BAD_USER_INPUT. base64url JSON, opaque to clients.
 */
import { createHash } from "node:crypto";
import { badUserInput, isUuid } from "@agora/platform";
import type { OfferSearchSort } from "../generated/graphql.js";

/**
 * [primary, createdAt ISO, id]: primary is the relevance score (RELEVANCE), the price as a decimal
 * string (PRICE_*), the distance in km (DISTANCE); NEWEST has none: [createdAt ISO, id].
 */
export type SortValues = [number | string, string, string] | [string, string];

export interface SearchPosition {
  values: SortValues;
  /** Elasticsearch point-in-time id the previous page was read from. */
  pointInTime?: string | undefined;
}

interface CursorBody {
  f: string;
  k: unknown[];
  p?: string;
}

const version = "s2";

/** Identifies a search: same fingerprint, same result order. */
export function searchFingerprint(parts: unknown): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("base64url").slice(0, 16);
}

export function encodeSearchCursor(fingerprint: string, position: SearchPosition): string {
  const body: CursorBody = { f: fingerprint, k: position.values, ...(position.pointInTime ? { p: position.pointInTime } : {}) };
  return `${version}.${Buffer.from(JSON.stringify(body)).toString("base64url")}`;
}

const isIsoDate = (value: unknown): value is string => typeof value === "string" && !Number.isNaN(Date.parse(value)) && value.length <= 40;
const decimalPattern = /^-?\d{1,12}(\.\d{1,2})?$/;

function validValues(sort: OfferSearchSort, values: unknown[]): SortValues | null {
  if (sort === "NEWEST") {
    const [createdAt, id, ...rest] = values;
    return rest.length === 0 && isIsoDate(createdAt) && typeof id === "string" && isUuid(id) ? [createdAt, id] : null;
  }
  const [primary, createdAt, id, ...rest] = values;
  if (rest.length > 0 || !isIsoDate(createdAt) || typeof id !== "string" || !isUuid(id)) return null;
  const primaryOk =
    sort === "PRICE_ASC" || sort === "PRICE_DESC"
      ? typeof primary === "string" && decimalPattern.test(primary)
      : typeof primary === "number" && Number.isFinite(primary);
  return primaryOk ? [primary as number | string, createdAt, id] : null;
}

/** The position `cursor` names, checked against the search it is used with. */
export function decodeSearchCursor(cursor: string, fingerprint: string, sort: OfferSearchSort, field = "after"): SearchPosition {
  const refuse = (why: string) =>
    badUserInput(`"${field}" is not a cursor of this search (${why}); start again without "${field}".`, field);
  let body: CursorBody;
  try {
    const [tag, payload, ...rest] = cursor.split(".");
    if (tag !== version || payload === undefined || rest.length > 0) throw new Error("format");
    body = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as CursorBody;
    if (typeof body !== "object" || body === null || !Array.isArray(body.k)) throw new Error("shape");
  } catch {
    throw refuse("not a search cursor this API issued");
  }
  if (body.f !== fingerprint) throw refuse("it belongs to another query, filter or sort");
  const values = validValues(sort, body.k);
  if (!values) throw refuse("it was altered");
  if (body.p !== undefined && (typeof body.p !== "string" || body.p.length > 4096)) throw refuse("it was altered");
  return { values, pointInTime: body.p };
}
