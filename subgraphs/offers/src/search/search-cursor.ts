/**
 * Search results have no stable sort key (relevance changes as offers change), so their cursors
 * are positions: base64url of ["s", offset]. Opaque to clients like every other cursor.
 */
import { badUserInput } from "@agora/platform";

export function encodeSearchCursor(position: number): string {
  return Buffer.from(JSON.stringify(["s", position])).toString("base64url");
}

/** The position the cursor names; the next page starts right after it. */
export function decodeSearchCursor(cursor: string, field = "after"): number {
  try {
    const [tag, position] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown[];
    if (tag !== "s" || !Number.isSafeInteger(position) || (position as number) < 0) throw new Error("bad cursor");
    return position as number;
  } catch {
    throw badUserInput(`"${field}" is not a search cursor this API issued: ${JSON.stringify(cursor.slice(0, 80))}.`, field);
  }
}
