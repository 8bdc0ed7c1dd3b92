-- Appends audit events to a care giver's hash chain. The chain head row is locked for the rest of the transaction,
-- so concurrent appends for one care giver are serialised and ids follow chain order; other care givers never wait.
-- The hashed text is reproduced by src/modules/audit/chain.ts (canonicalAuditText) for verification.
CREATE OR REPLACE FUNCTION append_audit_events(p_care_giver_id text, p_events jsonb)
RETURNS TABLE (event_id bigint, event_at timestamptz, event_hash text)
LANGUAGE plpgsql AS $$
DECLARE
  head text;
  ev jsonb;
  ts timestamptz := date_trunc('milliseconds', clock_timestamp());
  h text;
  new_id bigint;
BEGIN
  INSERT INTO audit_chain_heads (care_giver_id, last_hash, last_id)
    VALUES (p_care_giver_id, repeat('0', 64), 0) ON CONFLICT DO NOTHING;
  SELECT last_hash INTO head FROM audit_chain_heads WHERE care_giver_id = p_care_giver_id FOR UPDATE;
  FOR ev IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    h := encode(sha256(convert_to(
      head || '|' || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      || '|' || (ev->>'actorId') || '|' || (ev->>'role') || '|' || p_care_giver_id
      || '|' || coalesce(ev->>'unitId', '') || '|' || coalesce(ev->>'patientId', '')
      || '|' || (ev->>'action') || '|' || (ev->>'resource') || '|' || coalesce(ev->>'resourceId', '')
      || '|' || coalesce(ev->>'requestId', '') || '|' || (ev->>'purpose'),
      'UTF8')), 'hex');
    INSERT INTO audit_events (at, actor_id, role, care_giver_id, unit_id, patient_id, action, resource, resource_id,
                              request_id, purpose, prev_hash, hash)
      VALUES (ts, ev->>'actorId', ev->>'role', p_care_giver_id, ev->>'unitId', ev->>'patientId', ev->>'action',
              ev->>'resource', ev->>'resourceId', ev->>'requestId', ev->>'purpose', head, h)
      RETURNING id INTO new_id;
    head := h;
    event_id := new_id; event_at := ts; event_hash := h;
    RETURN NEXT;
  END LOOP;
  IF new_id IS NOT NULL THEN
    UPDATE audit_chain_heads SET last_hash = head, last_id = new_id WHERE care_giver_id = p_care_giver_id;
  END IF;
END
$$;
--> statement-breakpoint
-- Append-only: the application never updates or deletes audit rows; this makes an accidental one fail loudly.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
