-- Identifiers compare byte by byte (COLLATE "C"): HSA-ids, personal identity numbers, certificate ids and kinds are
-- ASCII codes, never sorted for people, and every index on them compared them with the database's collation
-- (strcoll for C.UTF-8, en_US.UTF-8 or sv_SE.UTF-8), a share of every insert's and lookup's index work. The order of
-- ASCII identifiers is the same in both. Only the indexes on these columns are rebuilt (a collation change of the same
-- type rewrites no table); on a large database that takes a while and locks the tables, as migrations 0010/0011 do:
-- apply it with the service stopped. The drizzle schema does not model collations (src/db/schema.ts says so).
ALTER TABLE "audit_chain_heads"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "audit_events"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C",
  ALTER COLUMN "patient_id" TYPE char(12) COLLATE "C";
--> statement-breakpoint
ALTER TABLE "audit_seal_blocks"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "audit_seal_failures"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "care_givers"
  ALTER COLUMN "id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "certificate_relations"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C",
  ALTER COLUMN "certificate_id" TYPE text COLLATE "C",
  ALTER COLUMN "target_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "certificates"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C",
  ALTER COLUMN "id" TYPE text COLLATE "C",
  ALTER COLUMN "patient_id" TYPE char(12) COLLATE "C",
  ALTER COLUMN "unit_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "consents"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C",
  ALTER COLUMN "kind" TYPE text COLLATE "C",
  ALTER COLUMN "patient_id" TYPE char(12) COLLATE "C",
  ALTER COLUMN "unit_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "coordination_efforts"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C",
  ALTER COLUMN "patient_id" TYPE char(12) COLLATE "C",
  ALTER COLUMN "unit_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "coordination_statuses"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C",
  ALTER COLUMN "patient_id" TYPE char(12) COLLATE "C",
  ALTER COLUMN "unit_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "patient_case_units"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C",
  ALTER COLUMN "patient_id" TYPE char(12) COLLATE "C";
--> statement-breakpoint
ALTER TABLE "unit_case_changes"
  ALTER COLUMN "patient_id" TYPE char(12) COLLATE "C",
  ALTER COLUMN "unit_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "unit_case_versions"
  ALTER COLUMN "unit_id" TYPE text COLLATE "C";
--> statement-breakpoint
ALTER TABLE "units"
  ALTER COLUMN "care_giver_id" TYPE text COLLATE "C",
  ALTER COLUMN "id" TYPE text COLLATE "C";
