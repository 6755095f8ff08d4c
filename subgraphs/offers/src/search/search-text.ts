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
  /**
   * The query's structure as web search reads it: any one alternative (split at `or`) matches, an
   * alternative needs all its terms, a term is one word or a quoted phrase (several words).
   */
  alternatives: string[][][];
}

export function parseSearchText(raw: string | null | undefined, field = "query"): SearchText {
  // Control characters are never words, Postgres refuses NUL in text, and \u0002/\u0003 mark highlights.
  const query = (raw ?? "")
    .replace(/\p{Cc}/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (query.length > maxQueryLength) {
    throw badUserInput(`"${field}" may be at most ${maxQueryLength} characters long (got ${query.length}).`, field);
  }
  const words: string[] = [];
  const excluded: string[] = [];
  const alternatives: string[][][] = [[]];
  const wordsIn = (text: string) => [...text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)].map((m) => m[0]);
  // Quoted phrases first (an unclosed quote runs to the end), then whitespace-separated tokens.
  for (const [, phrase, token] of query.matchAll(/"([^"]*)"?|([^\s"]+)/g)) {
    const current = alternatives.at(-1) ?? [];
    if (phrase !== undefined) {
      const phraseWords = wordsIn(phrase);
      for (const word of phraseWords) if (!words.includes(word)) words.push(word);
      if (phraseWords.length) current.push(phraseWords);
      continue;
    }
    const text = token ?? "";
    const negated = text.startsWith("-");
    const tokenWords = wordsIn(text);
    if (!negated && tokenWords.length === 1 && tokenWords[0] === "or") {
      if (current.length) alternatives.push([]);
      continue;
    }
    for (const word of tokenWords) {
      const list = negated ? excluded : words;
      if (!list.includes(word)) list.push(word);
      if (!negated) current.push([word]);
    }
  }
  return {
    query,
    words: words.slice(0, maxQueryWords),
    excluded: excluded.slice(0, maxQueryWords),
    alternatives: alternatives.filter((a) => a.length > 0),
  };
}
