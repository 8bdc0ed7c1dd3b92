CREATE TABLE "unit_case_versions" (
	"unit_id" text PRIMARY KEY NOT NULL,
	"care_giver_id" text NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "prev_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_chain_heads" ADD COLUMN "last_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "seq" bigint;--> statement-breakpoint
CREATE INDEX "audit_events_unsealed_idx" ON "audit_events" USING btree ("care_giver_id","id") WHERE "audit_events"."seq" is null;--> statement-breakpoint
CREATE INDEX "audit_events_chain_idx" ON "audit_events" USING btree ("care_giver_id","seq");--> statement-breakpoint
-- Appending no longer takes the chain lock (it serialised every write of a care giver until commit); rows are
-- inserted plainly and sealed right after by seal_audit_events.
DROP FUNCTION IF EXISTS append_audit_events(text, jsonb);
--> statement-breakpoint
-- Seals a care giver's unsealed events, in id order, onto the end of its chain. The head row's lock makes sealers
-- take turns; with p_wait false a sealer that finds the chain busy returns -1 at once (the busy one, or the next
-- sweep, seals the rest). The hashed text is reproduced by src/modules/audit/chain.ts (canonicalAuditText).
CREATE OR REPLACE FUNCTION seal_audit_events(p_care_giver_id text, p_wait boolean)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  head_hash text;
  head_seq bigint;
  head_id bigint;
  r record;
  h text;
  n integer := 0;
BEGIN
  INSERT INTO audit_chain_heads (care_giver_id, last_hash, last_id, last_seq)
    VALUES (p_care_giver_id, repeat('0', 64), 0, 0) ON CONFLICT DO NOTHING;
  IF p_wait THEN
    SELECT last_hash, last_seq, last_id INTO head_hash, head_seq, head_id
      FROM audit_chain_heads WHERE care_giver_id = p_care_giver_id FOR UPDATE;
  ELSE
    SELECT last_hash, last_seq, last_id INTO head_hash, head_seq, head_id
      FROM audit_chain_heads WHERE care_giver_id = p_care_giver_id FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
      RETURN -1;
    END IF;
  END IF;
  FOR r IN
    SELECT * FROM audit_events WHERE care_giver_id = p_care_giver_id AND seq IS NULL ORDER BY id
  LOOP
    head_seq := head_seq + 1;
    h := encode(sha256(convert_to(
      head_hash || '|' || head_seq || '|' || r.id
      || '|' || to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      || '|' || r.actor_id || '|' || r.role || '|' || r.care_giver_id
      || '|' || coalesce(r.unit_id, '') || '|' || coalesce(r.patient_id, '')
      || '|' || r.action || '|' || r.resource || '|' || coalesce(r.resource_id, '')
      || '|' || coalesce(r.request_id, '') || '|' || r.purpose,
      'UTF8')), 'hex');
    UPDATE audit_events SET seq = head_seq, prev_hash = head_hash, hash = h WHERE id = r.id;
    head_hash := h;
    head_id := r.id;
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    UPDATE audit_chain_heads SET last_hash = head_hash, last_seq = head_seq, last_id = head_id
      WHERE care_giver_id = p_care_giver_id;
  END IF;
  RETURN n;
END
$$;
--> statement-breakpoint
-- Append-only, with one exception: sealing an unsealed row, which may set only its seal columns, once.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor_id = OLD.actor_id AND NEW.role = OLD.role
     AND NEW.care_giver_id = OLD.care_giver_id AND NEW.unit_id IS NOT DISTINCT FROM OLD.unit_id
     AND NEW.patient_id IS NOT DISTINCT FROM OLD.patient_id AND NEW.action = OLD.action
     AND NEW.resource = OLD.resource AND NEW.resource_id IS NOT DISTINCT FROM OLD.resource_id
     AND NEW.request_id IS NOT DISTINCT FROM OLD.request_id AND NEW.purpose = OLD.purpose THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only';
END
$$;
