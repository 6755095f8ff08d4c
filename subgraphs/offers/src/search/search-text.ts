/**
 * The words of a search query. Engines get the query as typed (web-search syntax) and these words
 * for typo tolerance and suggestions: letters and digits only, lower-case, `-word` excluded, the
 * `or` operator dropped, so punctuation, quotes and engine operators are never interpreted as syntax.
 */
import { badUserInput } from "@agora/platform";

export const maxQueryLength = 200;
/** More words than this are not expanded for typos (each costs a vocabulary lookup). */
export const maxQueryWords = 16;

export interface SearchText {
  /** Trimmed, inner whitespace collapsed; "" for an empty query. */
  query: string;
  words: string[];
  excluded: string[];
}

export function parseSearchText(raw: string | null | undefined, field = "query"): SearchText {
  // Control characters are never words, Postgres refuses NUL in text, and \u0002/\u0003 mark highlights.
  // eslint-disable-next-line no-control-regex
  const query = (raw ?? "").replace(/[\u0000-\u001f\u007f]/g, " ").replace(/\s+/g, " ").trim();
  if (query.length > maxQueryLength) {
    throw badUserInput(`"${field}" may be at most ${maxQueryLength} characters long (got ${query.length}).`, field);
  }
  const words: string[] = [];
  const excluded: string[] = [];
  for (const token of query.split(" ")) {
    const negated = token.startsWith("-");
    for (const match of token.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
      const word = match[0];
      if (word === "or" && !negated) continue;
      const list = negated ? excluded : words;
      if (!list.includes(word)) list.push(word);
    }
  }
  return { query, words: words.slice(0, maxQueryWords), excluded: excluded.slice(0, maxQueryWords) };
}
