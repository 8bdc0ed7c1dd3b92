-- The periods and diagnoses are on each certificate's own row (arrays, since 0004) and in its content; nothing has
-- read these two copies since, and writing them cost a third of the database's time per ingested certificate.
DROP TABLE "certificate_diagnoses" CASCADE;--> statement-breakpoint
DROP TABLE "certificate_periods" CASCADE;
