-- A seal pass sealed the events of every transaction below the oldest one still running anywhere on the server
-- (pg_snapshot_xmin): a long transaction in another database of a shared cluster (a batch job, a forgotten psql
-- session) held every pass back for as long as it ran, and a shutdown's last pass left the events unsealed and out of
-- the logged chain heads, with readiness saying ok. Transaction ids are the server's, but an event is written by a
-- transaction of this database, so only those can still add one below the bound: the horizon is the oldest
-- transaction still running here (a session's or a prepared one), else the next transaction id. The in-progress ids
-- of the snapshot are told apart by database through the backends' (and prepared transactions') 32-bit ids, unique
-- among running transactions. The watermark's guard takes the same horizon.
CREATE OR REPLACE FUNCTION audit_seal_horizon() RETURNS xid8 LANGUAGE plpgsql STABLE AS $$
DECLARE
  snap pg_snapshot := pg_current_snapshot();
  horizon xid8;
BEGIN
  SELECT min(x) INTO horizon FROM pg_snapshot_xip(snap) AS x
  WHERE (x::text::bigint % 4294967296)::text IN (
    SELECT a.backend_xid::text FROM pg_stat_activity a
      WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.backend_xid IS NOT NULL
    UNION ALL
    SELECT p.transaction::text FROM pg_prepared_xacts p WHERE p.database = current_database()
  );
  RETURN coalesce(horizon, pg_snapshot_xmax(snap));
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_seal_watermark_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    IF NEW.id = OLD.id AND NEW.xact_to >= OLD.xact_to AND NEW.xact_to <= audit_seal_horizon() THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_seal_watermark only moves forward, to no later than the oldest transaction still running in this database (% refused)', TG_OP;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION seal_audit_events(p_wait boolean, OUT sealed integer, OUT failed text[])
LANGUAGE plpgsql AS $$
DECLARE
  lower_bound xid8;
  upper_bound xid8;
  g record;
  head record;
  h text;
BEGIN
  sealed := 0;
  failed := '{}';
  IF p_wait THEN
    SELECT xact_to INTO lower_bound FROM audit_seal_watermark WHERE id = 1 FOR UPDATE;
  ELSE
    SELECT xact_to INTO lower_bound FROM audit_seal_watermark WHERE id = 1 FOR UPDATE SKIP LOCKED;
  END IF;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM audit_seal_watermark WHERE id = 1) THEN
      sealed := -1;  -- another pass holds it
      RETURN;
    END IF;
    INSERT INTO audit_seal_watermark (id, xact_to) VALUES (1, '0') ON CONFLICT DO NOTHING;
    SELECT xact_to INTO lower_bound FROM audit_seal_watermark WHERE id = 1 FOR UPDATE;
  END IF;
  upper_bound := audit_seal_horizon();
  IF upper_bound <= lower_bound THEN
    RETURN;
  END IF;
  FOR g IN
    WITH waiting AS MATERIALIZED (
      SELECT f.care_giver_id, least(f.pending_from, lower_bound) AS pending_from FROM audit_seal_failures f
    ), chosen AS (
      SELECT e.*, lower_bound AS block_from FROM audit_events e
      WHERE e.xact >= lower_bound AND e.xact < upper_bound
        AND NOT EXISTS (SELECT 1 FROM waiting w WHERE w.care_giver_id = e.care_giver_id)
      UNION ALL
      SELECT e.*, w.pending_from FROM waiting w
      JOIN audit_events e ON e.care_giver_id = w.care_giver_id AND e.xact >= w.pending_from AND e.xact < upper_bound
    )
    SELECT c.care_giver_id, min(c.block_from) AS block_from, count(*)::integer AS n, max(c.id) AS last_id,
           string_agg(encode(sha256(convert_to(
             c.id || '|' || to_char(c.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             || '|' || c.actor_id || '|' || c.role || '|' || c.care_giver_id
             || '|' || coalesce(c.unit_id, '') || '|' || coalesce(c.patient_id, '')
             || '|' || c.action || '|' || c.resource || '|' || coalesce(c.resource_id, '')
             || '|' || coalesce(c.request_id, '') || '|' || c.purpose,
             'UTF8')), 'hex'), ',' ORDER BY c.id) AS hashes
    FROM chosen c
    GROUP BY c.care_giver_id
    ORDER BY c.care_giver_id
  LOOP
    INSERT INTO audit_chain_heads (care_giver_id, last_hash, last_id, last_seq)
      VALUES (g.care_giver_id, repeat('0', 64), 0, 0) ON CONFLICT DO NOTHING;
    SELECT last_hash, last_seq, last_id INTO head
      FROM audit_chain_heads WHERE care_giver_id = g.care_giver_id FOR UPDATE;
    IF EXISTS (SELECT 1 FROM audit_seal_blocks b WHERE b.care_giver_id = g.care_giver_id AND b.seq = head.last_seq + 1) THEN
      INSERT INTO audit_seal_failures (care_giver_id, pending_from, last_error)
        VALUES (g.care_giver_id, g.block_from, format(
          'a block is already at position %s, which no seal pass wrote (the chain head is at %s)',
          head.last_seq + 1, head.last_seq))
        ON CONFLICT (care_giver_id) DO UPDATE
          SET last_failed_at = now(), failures = audit_seal_failures.failures + 1, last_error = EXCLUDED.last_error;
      failed := failed || g.care_giver_id;
      CONTINUE;
    END IF;
    h := encode(sha256(convert_to(
      head.last_hash || '|' || (head.last_seq + 1) || '|' || g.block_from || '|' || upper_bound
      || '|' || g.n || '|' || g.hashes,
      'UTF8')), 'hex');
    INSERT INTO audit_seal_blocks (care_giver_id, seq, xact_from, xact_to, events, last_id, prev_hash, hash)
      VALUES (g.care_giver_id, head.last_seq + 1, g.block_from, upper_bound, g.n, g.last_id, head.last_hash, h);
    UPDATE audit_chain_heads
      SET last_hash = h, last_seq = head.last_seq + 1, last_id = greatest(head.last_id, g.last_id)
      WHERE care_giver_id = g.care_giver_id;
    DELETE FROM audit_seal_failures WHERE care_giver_id = g.care_giver_id;
    sealed := sealed + g.n;
  END LOOP;
  UPDATE audit_seal_watermark SET xact_to = upper_bound WHERE id = 1;
END
$$;
