-- A certificate's id is its id in the issuing system, unique within its care giver only: two care givers' EHR
-- systems may both issue `c-2026-000123`. The key of a certificate becomes (care_giver_id, id), and a relation keys
-- on its certificate's care giver and id; its target is a certificate of the same care giver (cross-care-giver
-- relations were never settled). superseded_by stays an id within the certificate's care giver.
ALTER TABLE "certificate_relations" DROP CONSTRAINT "certificate_relations_certificate_id_certificates_id_fk";--> statement-breakpoint
DROP INDEX "certificate_relations_target_idx";--> statement-breakpoint
ALTER TABLE "certificate_relations" ADD COLUMN "care_giver_id" text;--> statement-breakpoint
UPDATE "certificate_relations" r SET "care_giver_id" = c."care_giver_id"
FROM "certificates" c WHERE c."id" = r."certificate_id";--> statement-breakpoint
ALTER TABLE "certificate_relations" ALTER COLUMN "care_giver_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "certificate_relations" DROP CONSTRAINT "certificate_relations_pkey";--> statement-breakpoint
ALTER TABLE "certificate_relations" ADD CONSTRAINT "certificate_relations_care_giver_id_certificate_id_pk" PRIMARY KEY("care_giver_id","certificate_id");--> statement-breakpoint
ALTER TABLE "certificates" DROP CONSTRAINT "certificates_pkey";--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_care_giver_id_id_pk" PRIMARY KEY("care_giver_id","id");--> statement-breakpoint
ALTER TABLE "certificate_relations" ADD CONSTRAINT "certificate_relations_certificate_fk" FOREIGN KEY ("care_giver_id","certificate_id") REFERENCES "public"."certificates"("care_giver_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "certificate_relations_target_idx" ON "certificate_relations" USING btree ("care_giver_id","target_id");
