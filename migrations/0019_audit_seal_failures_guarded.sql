-- audit_seal_failures is where a care giver's waiting events start (pending_from), and readiness reads it: deleting
-- a row made /health/ready say ok while the chain still could not go on, and the events from pending_from on were
-- never sealed (the next pass starts at the watermark). Only what a seal pass does passes now: a row is recorded
-- when a block stands at the care giver's next position and from no earlier than its head block's end, counted up
-- again without moving where its events wait from, and removed once the head block covers pending_from (the pass
-- just sealed the waiting events). TRUNCATE is refused.
CREATE OR REPLACE FUNCTION audit_seal_failures_guarded() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head record;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT h.last_seq, b.xact_to INTO head
      FROM audit_chain_heads h
      LEFT JOIN audit_seal_blocks b ON b.care_giver_id = h.care_giver_id AND b.seq = h.last_seq
      WHERE h.care_giver_id = NEW.care_giver_id;
    IF FOUND AND NEW.pending_from >= coalesce(head.xact_to, '0'::xid8) AND EXISTS (
      SELECT 1 FROM audit_seal_blocks b WHERE b.care_giver_id = NEW.care_giver_id AND b.seq = head.last_seq + 1
    ) THEN
      RETURN NEW;
    END IF;
  ELSIF TG_OP = 'UPDATE' THEN
    IF NEW.care_giver_id = OLD.care_giver_id AND NEW.pending_from = OLD.pending_from
       AND NEW.first_failed_at = OLD.first_failed_at AND NEW.failures > OLD.failures THEN
      RETURN NEW;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (
      SELECT 1 FROM audit_chain_heads h
      JOIN audit_seal_blocks b ON b.care_giver_id = h.care_giver_id AND b.seq = h.last_seq
      WHERE h.care_giver_id = OLD.care_giver_id AND b.xact_from <= OLD.pending_from AND OLD.pending_from < b.xact_to
    ) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_seal_failures is written by seal passes only (% refused)', TG_OP;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_seal_failures_guarded BEFORE INSERT OR UPDATE OR DELETE ON audit_seal_failures
  FOR EACH ROW EXECUTE FUNCTION audit_seal_failures_guarded();
--> statement-breakpoint
CREATE TRIGGER audit_seal_failures_no_truncate BEFORE TRUNCATE ON audit_seal_failures
  FOR EACH STATEMENT EXECUTE FUNCTION audit_seal_failures_guarded();
