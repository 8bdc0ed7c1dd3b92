ALTER TABLE "certificate_diagnoses" DROP CONSTRAINT "certificate_diagnoses_certificate_id_certificates_id_fk";
--> statement-breakpoint
ALTER TABLE "certificate_periods" DROP CONSTRAINT "certificate_periods_certificate_id_certificates_id_fk";
