import { badUserInput, isUuid, parsePage, toConnection, type Page } from "@agora/platform";
import type DataLoader from "dataloader";
import type { ReviewListKey } from "../data/loaders.js";
import type { ReviewConnectionRecord, ReviewRecord } from "../data/review.repository.js";

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** parsePage plus a check that the cursor's id can be compared with a uuid column. */
export function parseReviewPage(args: PageArgs): Page {
  const page = parsePage(args);
  if (page.after && !isUuid(page.after.id))
    throw badUserInput(`"after" is not a cursor this API issued: ${JSON.stringify(args.after)}.`, "after");
  return page;
}

/**
 * One parent's page of reviews through the request's list loader; totalCount is a function so the
 * grouped count runs only when a client asks for it.
 */
export async function reviewConnection(
  list: DataLoader<ReviewListKey, ReviewRecord[], string>,
  count: DataLoader<string, number>,
  parentId: string,
  args: PageArgs,
): Promise<ReviewConnectionRecord> {
  const page = parseReviewPage(args);
  // Another subgraph's id that is not a uuid cannot have reviews here.
  if (!isUuid(parentId)) return toConnection([], page, () => 0);
  const id = parentId.toLowerCase();
  const rows = await list.load({ parentId: id, page, after: args.after ?? null });
  return toConnection(rows, page, () => count.load(id));
}
