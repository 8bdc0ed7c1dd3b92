-- Sealing computes the chain in a loop as before but writes the seals with one set-based UPDATE instead of one
-- UPDATE per event (it was ~45 µs per event, a fifth of the database time of a 1,000-certificate batch).
-- The hashed text is unchanged and still reproduced by src/modules/audit/chain.ts (canonicalAuditText).
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
  ids bigint[] := '{}';
  seqs bigint[] := '{}';
  prevs text[] := '{}';
  hashes text[] := '{}';
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
    ids := ids || r.id;
    seqs := seqs || head_seq;
    prevs := prevs || head_hash;
    hashes := hashes || h;
    head_hash := h;
    head_id := r.id;
    n := n + 1;
  END LOOP;
  IF n > 0 THEN
    UPDATE audit_events e SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash
      FROM unnest(ids, seqs, prevs, hashes) AS u(id, seq, prev_hash, hash)
      WHERE e.id = u.id;
    UPDATE audit_chain_heads SET last_hash = head_hash, last_seq = head_seq, last_id = head_id
      WHERE care_giver_id = p_care_giver_id;
  END IF;
  RETURN n;
END
$$;
