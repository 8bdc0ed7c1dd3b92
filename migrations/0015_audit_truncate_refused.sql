-- The row trigger refuses UPDATE and DELETE of an audit event, but TRUNCATE passes row triggers by: it emptied the log
-- in one statement. Refused too, and the seal blocks (the chain the events are verified against) are append-only in
-- the same way: a pass only ever inserts them.
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_seal_blocks_no_update BEFORE UPDATE OR DELETE ON audit_seal_blocks
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_seal_blocks_no_truncate BEFORE TRUNCATE ON audit_seal_blocks
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
