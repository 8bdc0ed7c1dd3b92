CREATE TABLE "patient_case_units" (
	"care_giver_id" text NOT NULL,
	"patient_id" char(12) NOT NULL,
	"unit_ids" text[] NOT NULL,
	CONSTRAINT "patient_case_units_care_giver_id_patient_id_pk" PRIMARY KEY("care_giver_id","patient_id")
);
--> statement-breakpoint
CREATE INDEX "certificates_patient_chain_idx" ON "certificates" USING btree ("care_giver_id","patient_id","start_date","end_date","id") WHERE "certificates"."counts";--> statement-breakpoint
-- The units of each patient's counted certificates so far; the certificates service keeps the table from here on.
INSERT INTO "patient_case_units" ("care_giver_id", "patient_id", "unit_ids")
SELECT "care_giver_id", "patient_id", array_agg(DISTINCT "unit_id" ORDER BY "unit_id")
FROM "certificates" WHERE "counts"
GROUP BY "care_giver_id", "patient_id";
