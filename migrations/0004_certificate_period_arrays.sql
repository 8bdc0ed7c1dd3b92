ALTER TABLE "certificates" ADD COLUMN "period_degrees" smallint[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "period_starts" date[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "period_ends" date[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "diagnosis_codes" text[] DEFAULT '{}' NOT NULL;--> statement-breakpoint
UPDATE "certificates" c
SET "period_degrees" = x.degrees, "period_starts" = x.starts, "period_ends" = x.ends,
    "diagnosis_codes" = coalesce(x.codes, '{}')
FROM (
  SELECT p.certificate_id, p.degrees, p.starts, p.ends, d.codes
  FROM (
    SELECT certificate_id, array_agg(degree ORDER BY ordinal) AS degrees,
           array_agg(start_date ORDER BY ordinal) AS starts, array_agg(end_date ORDER BY ordinal) AS ends
    FROM "certificate_periods" GROUP BY certificate_id
  ) p
  LEFT JOIN (
    SELECT certificate_id, array_agg(code ORDER BY ordinal) AS codes FROM "certificate_diagnoses" GROUP BY certificate_id
  ) d ON d.certificate_id = p.certificate_id
) x
WHERE x.certificate_id = c.id;
