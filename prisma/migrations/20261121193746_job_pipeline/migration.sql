-- CreateEnum
CREATE TYPE "jobs"."AnalyticsEventType" AS ENUM ('OFFER_VIEW', 'SEARCH');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "jobs"."JobType" ADD VALUE 'ANALYTICS_ROLLUP';
ALTER TYPE "jobs"."JobType" ADD VALUE 'MAINTENANCE';

-- AlterTable
ALTER TABLE "jobs"."jobs" ADD COLUMN     "dead_lettered_at" TIMESTAMPTZ(3),
ADD COLUMN     "enqueued_at" TIMESTAMPTZ(3),
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateTable
CREATE TABLE "jobs"."offer_images" (
    "id" UUID NOT NULL,
    "job_id" UUID NOT NULL,
    "offer_id" UUID,
    "uploaded_by" UUID NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "format" TEXT NOT NULL,
    "bytes" INTEGER NOT NULL,
    "dominant_color" TEXT,
    "blurhash" TEXT,
    "variants" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "offer_images_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs"."analytics_events" (
    "id" BIGSERIAL NOT NULL,
    "type" "jobs"."AnalyticsEventType" NOT NULL,
    "offer_id" UUID,
    "user_id" UUID,
    "query" TEXT,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "analytics_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "jobs"."offer_daily_stats" (
    "offer_id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "views" INTEGER NOT NULL DEFAULT 0,
    "search_results" INTEGER NOT NULL DEFAULT 0,
    "unique_viewers" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "offer_daily_stats_pkey" PRIMARY KEY ("offer_id","day")
);

-- CreateIndex
CREATE UNIQUE INDEX "offer_images_job_id_key" ON "jobs"."offer_images"("job_id");

-- CreateIndex
CREATE INDEX "offer_images_offer_id_created_at_idx" ON "jobs"."offer_images"("offer_id", "created_at");

-- CreateIndex
CREATE INDEX "analytics_events_occurred_at_idx" ON "jobs"."analytics_events"("occurred_at");

-- CreateIndex
CREATE INDEX "analytics_events_offer_id_occurred_at_idx" ON "jobs"."analytics_events"("offer_id", "occurred_at");

-- CreateIndex
CREATE INDEX "jobs_enqueued_at_created_at_idx" ON "jobs"."jobs"("enqueued_at", "created_at");

-- CreateIndex
CREATE INDEX "jobs_dead_lettered_at_idx" ON "jobs"."jobs"("dead_lettered_at");
