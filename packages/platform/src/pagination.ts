/**
 * Relay-style cursor pagination over (createdAt DESC, id DESC): stable under inserts, one index
 * range scan per page. A cursor is opaque to clients (base64url of the sort key).
 */
import { badUserInput } from "./errors.js";

export const defaultPageSize = 20;
export const maxPageSize = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page {
  first: number;
  after: SortKey | null;
}

export interface SortKey {
  createdAt: Date;
  id: string;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number> | number;
}

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify([key.createdAt.toISOString(), key.id])).toString("base64url");
}

export function decodeCursor(cursor: string): SortKey {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    const date = new Date(String(createdAt));
    if (typeof id !== "string" || Number.isNaN(date.getTime())) throw new Error("bad cursor");
    return { createdAt: date, id };
  } catch {
    throw badUserInput(`"after" is not a cursor this API issued: ${JSON.stringify(cursor)}.`, "after");
  }
}

export function parsePage(args: PageArgs): Page {
  const first = args.first ?? defaultPageSize;
  if (!Number.isInteger(first) || first < 1 || first > maxPageSize) {
    throw badUserInput(`"first" must be between 1 and ${maxPageSize}, got ${first}.`, "first");
  }
  return { first, after: args.after ? decodeCursor(args.after) : null };
}

/** Prisma `where` fragment for rows strictly after `key` in (createdAt DESC, id DESC) order. */
export function afterKeyWhere(key: SortKey | null) {
  if (!key) return {};
  return { OR: [{ createdAt: { lt: key.createdAt } }, { createdAt: key.createdAt, id: { lt: key.id } }] };
}

export const newestFirst = [{ createdAt: "desc" as const }, { id: "desc" as const }];

/**
 * Builds a connection from rows fetched with `take: first + 1` (the extra row only tells whether a
 * next page exists).
 */
export function toConnection<T extends SortKey>(rows: T[], page: Page, totalCount: () => Promise<number> | number): Connection<T> {
  const nodes = rows.slice(0, page.first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > page.first,
      hasPreviousPage: page.after !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount,
  };
}
