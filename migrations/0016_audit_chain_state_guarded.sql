-- The chain heads and the seal watermark are the state a pass continues from: emptied (TRUNCATE or DELETE), every
-- later pass failed on a block position already taken, and sealing stopped for good; moved back, a pass sealed the
-- remaining events again into a chain consistent in itself. Passes only insert heads, move them forward and move the
-- watermark forward: anything else is refused.
CREATE OR REPLACE FUNCTION audit_chain_heads_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.care_giver_id = OLD.care_giver_id AND NEW.last_seq >= OLD.last_seq THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_chain_heads only moves forward (% refused)', TG_OP;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_seal_watermark_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.id = OLD.id AND NEW.xact_to >= OLD.xact_to THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_seal_watermark only moves forward (% refused)', TG_OP;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_chain_heads_forward_only BEFORE UPDATE OR DELETE ON audit_chain_heads
  FOR EACH ROW EXECUTE FUNCTION audit_chain_heads_forward_only();
--> statement-breakpoint
CREATE TRIGGER audit_chain_heads_no_truncate BEFORE TRUNCATE ON audit_chain_heads
  FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_heads_forward_only();
--> statement-breakpoint
CREATE TRIGGER audit_seal_watermark_forward_only BEFORE UPDATE OR DELETE ON audit_seal_watermark
  FOR EACH ROW EXECUTE FUNCTION audit_seal_watermark_forward_only();
--> statement-breakpoint
CREATE TRIGGER audit_seal_watermark_no_truncate BEFORE TRUNCATE ON audit_seal_watermark
  FOR EACH STATEMENT EXECUTE FUNCTION audit_seal_watermark_forward_only();
