-- AlterTable
ALTER TABLE "jobs"."jobs" ADD COLUMN     "trace_context" JSONB;
