-- A seal pass moves a chain head by exactly one block (its seq + 1, a new hash, last_id not back) and the watermark
-- only up to the oldest transaction still running: 0016 let a head keep its seq with another hash (the next block
-- then linked to a hash no block has, and that chain failed verification for good) and the watermark jump ahead
-- (every later pass sealed nothing, silently).
CREATE OR REPLACE FUNCTION audit_chain_heads_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.care_giver_id = OLD.care_giver_id AND NEW.last_seq = OLD.last_seq + 1 AND NEW.last_id >= OLD.last_id THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_chain_heads only moves forward, one block at a time (% refused)', TG_OP;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_seal_watermark_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.id = OLD.id AND NEW.xact_to >= OLD.xact_to AND NEW.xact_to <= pg_snapshot_xmin(pg_current_snapshot()) THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_seal_watermark only moves forward, to no later than the oldest running transaction (% refused)', TG_OP;
END
$$;
