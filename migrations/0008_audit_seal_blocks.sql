-- Audit sealing by blocks instead of per event. Sealing an event used to UPDATE its row (a new version of a wide row
-- with five indexes, through a trigger): about a third of the database time of a consent check. Now an event is only
-- ever inserted, marked with the transaction that wrote it, and a seal pass writes one small block row per care giver
-- for every event of the transactions that have ended since the previous pass.
-- The per-event chain columns go: the events stored so far are sealed into each care giver's first block, which starts
-- a new chain from the genesis hash.
CREATE TABLE "audit_seal_blocks" (
	"care_giver_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"xact_from" "xid8" NOT NULL,
	"xact_to" "xid8" NOT NULL,
	"events" integer NOT NULL,
	"last_id" bigint NOT NULL,
	"prev_hash" char(64) NOT NULL,
	"hash" char(64) NOT NULL,
	"sealed_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audit_seal_blocks_care_giver_id_seq_pk" PRIMARY KEY("care_giver_id","seq")
);
--> statement-breakpoint
CREATE TABLE "audit_seal_watermark" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"xact_to" "xid8" NOT NULL,
	CONSTRAINT "audit_seal_watermark_single_row" CHECK ("audit_seal_watermark"."id" = 1)
);
--> statement-breakpoint
DROP INDEX "audit_events_unsealed_idx";--> statement-breakpoint
DROP INDEX "audit_events_chain_idx";--> statement-breakpoint
-- Events already stored get xact 1 (a constant default, so no table rewrite): they are sealed by the first pass.
ALTER TABLE "audit_events" ADD COLUMN "xact" "xid8" DEFAULT '1' NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "xact" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
CREATE INDEX "audit_events_xact_idx" ON "audit_events" USING btree ("xact");--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "seq";--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "prev_hash";--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "hash";--> statement-breakpoint
DROP FUNCTION IF EXISTS seal_audit_events(text, boolean);--> statement-breakpoint
DELETE FROM "audit_chain_heads";--> statement-breakpoint
INSERT INTO "audit_seal_watermark" ("id", "xact_to") VALUES (1, '0');--> statement-breakpoint
-- Append-only without exception: no update and no delete of an audit row, ever.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END
$$;
--> statement-breakpoint
-- One seal pass for every care giver. upper: the oldest transaction still running anywhere (pg_snapshot_xmin), so
-- every transaction below it has ended and no event below it can still appear; the pass seals the events with xact in
-- [watermark, upper), one block per care giver, in id order, and moves the watermark to upper. The watermark row's
-- lock makes passes take turns; with p_wait false a pass that finds it busy returns -1 at once. The hashed texts are
-- reproduced by src/modules/audit/chain.ts (auditEventText, sealBlockText); all must change together.
CREATE OR REPLACE FUNCTION seal_audit_events(p_wait boolean)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  lower_bound xid8;
  upper_bound xid8;
  g record;
  head record;
  h text;
  total integer := 0;
BEGIN
  IF p_wait THEN
    SELECT xact_to INTO lower_bound FROM audit_seal_watermark WHERE id = 1 FOR UPDATE;
  ELSE
    SELECT xact_to INTO lower_bound FROM audit_seal_watermark WHERE id = 1 FOR UPDATE SKIP LOCKED;
  END IF;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM audit_seal_watermark WHERE id = 1) THEN
      RETURN -1;  -- another pass holds it
    END IF;
    -- The row is missing (an emptied table): start again from the beginning.
    INSERT INTO audit_seal_watermark (id, xact_to) VALUES (1, '0') ON CONFLICT DO NOTHING;
    SELECT xact_to INTO lower_bound FROM audit_seal_watermark WHERE id = 1 FOR UPDATE;
  END IF;
  upper_bound := pg_snapshot_xmin(pg_current_snapshot());
  IF upper_bound <= lower_bound THEN
    RETURN 0;
  END IF;
  FOR g IN
    SELECT e.care_giver_id, count(*)::integer AS n, max(e.id) AS last_id,
           string_agg(encode(sha256(convert_to(
             e.id || '|' || to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
             || '|' || e.actor_id || '|' || e.role || '|' || e.care_giver_id
             || '|' || coalesce(e.unit_id, '') || '|' || coalesce(e.patient_id, '')
             || '|' || e.action || '|' || e.resource || '|' || coalesce(e.resource_id, '')
             || '|' || coalesce(e.request_id, '') || '|' || e.purpose,
             'UTF8')), 'hex'), ',' ORDER BY e.id) AS hashes
    FROM audit_events e
    WHERE e.xact >= lower_bound AND e.xact < upper_bound
    GROUP BY e.care_giver_id
    ORDER BY e.care_giver_id
  LOOP
    INSERT INTO audit_chain_heads (care_giver_id, last_hash, last_id, last_seq)
      VALUES (g.care_giver_id, repeat('0', 64), 0, 0) ON CONFLICT DO NOTHING;
    SELECT last_hash, last_seq, last_id INTO head
      FROM audit_chain_heads WHERE care_giver_id = g.care_giver_id FOR UPDATE;
    h := encode(sha256(convert_to(
      head.last_hash || '|' || (head.last_seq + 1) || '|' || lower_bound || '|' || upper_bound
      || '|' || g.n || '|' || g.hashes,
      'UTF8')), 'hex');
    INSERT INTO audit_seal_blocks (care_giver_id, seq, xact_from, xact_to, events, last_id, prev_hash, hash)
      VALUES (g.care_giver_id, head.last_seq + 1, lower_bound, upper_bound, g.n, g.last_id, head.last_hash, h);
    UPDATE audit_chain_heads
      SET last_hash = h, last_seq = head.last_seq + 1, last_id = greatest(head.last_id, g.last_id)
      WHERE care_giver_id = g.care_giver_id;
    total := total + g.n;
  END LOOP;
  UPDATE audit_seal_watermark SET xact_to = upper_bound WHERE id = 1;
  RETURN total;
END
$$;
