-- CreateTable
CREATE TABLE "offers"."search_changes" (
    "id" BIGSERIAL NOT NULL,
    "offer_id" UUID NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "search_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "offers"."search_words" (
    "word" TEXT NOT NULL,

    CONSTRAINT "search_words_pkey" PRIMARY KEY ("word")
);

-- Search, hand-written below this line: the Prisma datamodel cannot express it. No semicolons in
-- comments or bodies here, the migration runner splits the script on every semicolon.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch WITH SCHEMA public;

-- array_to_string is only STABLE (it calls the output function of the element type), for text[]
-- it cannot change, and a generated column needs an IMMUTABLE expression.
CREATE FUNCTION "offers"."tags_text"(tags TEXT[]) RETURNS TEXT
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT array_to_string(tags, ' ') $$;

-- Weighted document: title A, tags B, description C (the default ts_rank weights 1.0, 0.4, 0.2).
-- Stored, so ranking reads it instead of parsing every matching row again.
ALTER TABLE "offers"."offers" ADD COLUMN "search_document" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('english', "title"), 'A')
  || setweight(to_tsvector('english', coalesce("offers"."tags_text"("tags"), '')), 'B')
  || setweight(to_tsvector('english', "description"), 'C')
) STORED;

DROP INDEX IF EXISTS "offers"."offers_search_idx";
CREATE INDEX "offers_search_document_idx" ON "offers"."offers" USING GIN ("search_document");
-- Suggestions rank candidate words by trigram similarity, typo expansion filters by length first.
CREATE INDEX "search_words_trgm_idx" ON "offers"."search_words" USING GIN ("word" public.gin_trgm_ops);
CREATE INDEX "search_words_length_idx" ON "offers"."search_words" (length("word"));
CREATE INDEX "search_changes_offer_id_idx" ON "offers"."search_changes" ("offer_id");

-- The vocabulary of the offers already ACTIVE (search-vocabulary.ts keeps it current from here on).
INSERT INTO "offers"."search_words" ("word")
SELECT DISTINCT w
FROM "offers"."offers" o,
     unnest(tsvector_to_array(to_tsvector('simple',
       o."title" || ' ' || coalesce("offers"."tags_text"(o."tags"), '') || ' ' || o."description"))) AS w
WHERE o."status" = 'ACTIVE' AND length(w) BETWEEN 2 AND 40 AND w ~ '^[[:alpha:]]+$' AND numnode(plainto_tsquery('english', w)) > 0
ON CONFLICT DO NOTHING;
