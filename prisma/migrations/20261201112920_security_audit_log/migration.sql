-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "audit";

-- CreateTable
CREATE TABLE "audit"."events" (
    "id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "recorded_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor_id" UUID,
    "actor_role" TEXT,
    "client_ip" TEXT,
    "service" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT,
    "target_id" TEXT,
    "outcome" TEXT NOT NULL,
    "request_id" TEXT,
    "trace_id" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "events_occurred_at_id_idx" ON "audit"."events"("occurred_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "events_action_occurred_at_idx" ON "audit"."events"("action", "occurred_at" DESC);

-- CreateIndex
CREATE INDEX "events_actor_id_occurred_at_idx" ON "audit"."events"("actor_id", "occurred_at" DESC);

-- CreateIndex
CREATE INDEX "events_target_type_target_id_occurred_at_idx" ON "audit"."events"("target_type", "target_id", "occurred_at" DESC);

-- Append-only, hand-written below this line: the Prisma datamodel cannot express it. The migration
-- runner splits scripts on every semicolon (adapter-pg's executeScript), so the PL/pgSQL bodies are
-- escape strings with \073 where a semicolon goes, and no comment here holds one.

-- Refuses UPDATE, DELETE and TRUNCATE for every role, the owner and superusers included (an accident
-- guard for them, the privileges below are the boundary for the application): only a DELETE inside
-- audit.prune, which sets the transaction-local flag audit.pruning, passes.
CREATE FUNCTION "audit"."refuse_change"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''DELETE'' AND current_setting(''audit.pruning'', true) = ''on'' THEN
    RETURN OLD\073
  END IF\073
  RAISE EXCEPTION ''audit.events is append-only: % refused'', TG_OP
    USING ERRCODE = ''insufficient_privilege'', HINT = ''Rows leave only through audit.prune (retention).''\073
END';

CREATE TRIGGER "events_append_only" BEFORE UPDATE OR DELETE ON "audit"."events"
  FOR EACH ROW EXECUTE FUNCTION "audit"."refuse_change"();
CREATE TRIGGER "events_no_truncate" BEFORE TRUNCATE ON "audit"."events"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit"."refuse_change"();

-- Retention: the one way rows leave. SECURITY DEFINER, so the application role runs it without
-- holding DELETE itself, and it keeps at least 30 days whoever calls it, so a compromised service
-- cannot empty the log through it. Returns the number of rows removed.
CREATE FUNCTION "audit"."prune"(retention_days integer) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp AS E'
DECLARE
  removed bigint\073
BEGIN
  IF retention_days IS NULL OR retention_days < 30 THEN
    RAISE EXCEPTION ''audit.prune keeps at least 30 days, got %'', retention_days USING ERRCODE = ''invalid_parameter_value''\073
  END IF\073
  PERFORM set_config(''audit.pruning'', ''on'', true)\073
  DELETE FROM "audit"."events" WHERE "occurred_at" < now() - make_interval(days => retention_days)\073
  GET DIAGNOSTICS removed = ROW_COUNT\073
  PERFORM set_config(''audit.pruning'', ''off'', true)\073
  RETURN removed\073
END';

-- The application role: INSERT and SELECT on the log, retention through audit.prune, never UPDATE,
-- DELETE or TRUNCATE. NOLOGIN: deployments grant it to the login role their services use (GRANT
-- agora_app TO <login role>). Roles belong to the cluster, so it may exist already, also from a
-- concurrent migration of another database.
DO E'
BEGIN
  CREATE ROLE agora_app NOLOGIN\073
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL\073
END';
GRANT USAGE ON SCHEMA "audit" TO agora_app;
GRANT SELECT, INSERT ON "audit"."events" TO agora_app;
REVOKE UPDATE, DELETE, TRUNCATE ON "audit"."events" FROM PUBLIC;
REVOKE ALL ON FUNCTION "audit"."prune"(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "audit"."prune"(integer) TO agora_app;
