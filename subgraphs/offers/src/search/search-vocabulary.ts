/**
 * Every statement on offers.search_words: the vocabulary of ACTIVE offers (unstemmed lower-case
 * words) that the Postgres backend's typo tolerance and "did you mean" suggestions look words up
 * in. Writes add an offer's words in the offer's own transaction; words are only removed by a
 * rebuild (reindex), since an archived offer's words may still occur in other offers.
 */
import { Prisma, type PrismaClient } from "@agora/platform/database";

/** The words of an offer row `o`; the same expression as the migration that filled the table. */
const wordsOf = Prisma.sql`unnest(tsvector_to_array(to_tsvector('simple',
  o."title" || ' ' || coalesce("offers"."tags_text"(o."tags"), '') || ' ' || o."description")))`;
/** Alphabetic, 2 to 40 letters, not an English stopword (those are never searched). */
const isVocabularyWord = (w: Prisma.Sql) =>
  Prisma.sql`length(${w}) BETWEEN 2 AND 40 AND ${w} ~ '^[[:alpha:]]+$' AND numnode(plainto_tsquery('english', ${w})) > 0`;

/**
 * Adds the words of offer `offerId` if it is ACTIVE. ORDER BY: concurrent writers lock new words in
 * the same order, so they cannot deadlock each other.
 */
export async function recordVocabulary(tx: Prisma.TransactionClient, offerId: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "offers"."search_words" ("word")
    SELECT DISTINCT w FROM "offers"."offers" o, ${wordsOf} AS w
    WHERE o."id" = ${offerId}::uuid AND o."status" = 'ACTIVE' AND ${isVocabularyWord(Prisma.sql`w`)}
    ORDER BY w
    ON CONFLICT DO NOTHING`;
}

/** Makes the vocabulary exactly the words of today's ACTIVE offers. */
export async function rebuildVocabulary(db: PrismaClient): Promise<number> {
  await db.$executeRaw`
    WITH current_words AS (
      SELECT DISTINCT w AS "word" FROM "offers"."offers" o, ${wordsOf} AS w
      WHERE o."status" = 'ACTIVE' AND ${isVocabularyWord(Prisma.sql`w`)}
    ), removed AS (
      DELETE FROM "offers"."search_words" s WHERE NOT EXISTS (SELECT 1 FROM current_words c WHERE c."word" = s."word")
    )
    INSERT INTO "offers"."search_words" ("word") SELECT "word" FROM current_words ORDER BY "word" ON CONFLICT DO NOTHING`;
  const [row] = await db.$queryRaw<{ count: number }[]>`SELECT count(*)::int AS "count" FROM "offers"."search_words"`;
  return row?.count ?? 0;
}

/**
 * Edits allowed for a word of this length, as Elasticsearch's `fuzziness: AUTO`: none up to 2
 * letters, one up to 5, two beyond.
 */
export const allowedEdits = (length: number) => (length <= 2 ? 0 : length <= 5 ? 1 : 2);

/**
 * Optimal string alignment distance: Levenshtein plus a swap of two neighbouring letters as ONE
 * edit ("bkie" → "bike"), as Elasticsearch counts transpositions.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      const row = rows[i];
      if (row) row[j] = best;
    }
  }
  return at(a.length, b.length);
}

interface Candidate {
  token: string;
  word: string;
}

/** Vocabulary words within `maxEdits` Levenshtein edits of each token that is not itself a known word. */
async function candidates(db: PrismaClient, tokens: string[], maxEdits: number): Promise<Candidate[]> {
  const unknown = tokens.filter((t) => /^\p{L}{3,40}$/u.test(t));
  if (unknown.length === 0) return [];
  return db.$queryRaw<Candidate[]>`
    SELECT t."token", w."word"
    FROM unnest(${unknown}::text[]) AS t("token")
    JOIN "offers"."search_words" w
      ON length(w."word") BETWEEN length(t."token") - ${maxEdits}::int AND length(t."token") + ${maxEdits}::int
     AND public.levenshtein_less_equal(w."word", t."token", ${maxEdits}::int) <= ${maxEdits}::int
    WHERE NOT EXISTS (SELECT 1 FROM "offers"."search_words" k WHERE k."word" = t."token")`;
}

/**
 * For each query word that is not in the vocabulary, the known words it may be a typo of (within
 * `allowedEdits`). Known words are not expanded: "bike" must not also find "like".
 */
export async function typoExpansions(db: PrismaClient, words: string[]): Promise<Map<string, string[]>> {
  const expansions = new Map<string, string[]>();
  for (const { token, word } of await candidates(db, words, 2)) {
    if (editDistance(token, word) > allowedEdits(token.length)) continue;
    expansions.set(token, [...(expansions.get(token) ?? []), word].sort());
  }
  return expansions;
}

/**
 * "Did you mean": each unknown word replaced by its nearest known word (fewest edits, up to two,
 * then most trigrams in common); null when no word changes.
 */
export async function suggestWords(db: PrismaClient, words: string[]): Promise<string[] | null> {
  const found = await candidates(db, words, 2);
  let changed = false;
  const suggested = words.map((token) => {
    const options = found
      .filter((c) => c.token === token)
      .map((c) => ({ word: c.word, distance: editDistance(token, c.word) }))
      .filter((c) => c.distance <= 2)
      .sort((a, b) => a.distance - b.distance || a.word.localeCompare(b.word));
    const best = options[0];
    if (!best) return token;
    changed = true;
    return best.word;
  });
  return changed ? suggested : null;
}
