-- The evidence store replaces "BindingEvent" (one wide row per request). Its triggers go (the
-- evidence writer keeps the hourly rollups itself), and the table moves out of Prisma's schema as
-- "evidence"."LegacyEvent": the server folds its rows into the evidence store at the next start
-- (lib/services/evidence/legacy-fold.ts: ok requests into hourly usage and, inside the dedupe
-- window, the ledger, every other one kept as a notable request) and then drops it. The rollups
-- already count these requests and are left as they are.
DROP TRIGGER IF EXISTS "BindingEvent_rollup_insert" ON "BindingEvent";
DROP TRIGGER IF EXISTS "BindingEvent_rollup_delete" ON "BindingEvent";
DROP TRIGGER IF EXISTS "BindingEvent_rollup_truncate" ON "BindingEvent";
DROP TRIGGER IF EXISTS "BindingEvent_binding_rollup_insert" ON "BindingEvent";
DROP TRIGGER IF EXISTS "BindingEvent_binding_rollup_delete" ON "BindingEvent";
DROP TRIGGER IF EXISTS "BindingEvent_binding_rollup_truncate" ON "BindingEvent";
DROP FUNCTION IF EXISTS "hf_event_rollup_insert"();
DROP FUNCTION IF EXISTS "hf_event_rollup_delete"();
DROP FUNCTION IF EXISTS "hf_event_rollup_truncate"();
DROP FUNCTION IF EXISTS "hf_event_binding_rollup_insert"();
DROP FUNCTION IF EXISTS "hf_event_binding_rollup_delete"();
DROP FUNCTION IF EXISTS "hf_event_binding_rollup_truncate"();
ALTER TABLE "BindingEvent" SET SCHEMA "evidence";
ALTER TABLE "evidence"."BindingEvent" RENAME TO "LegacyEvent";
