-- A unit's patients within a window come from one index, ranged on the end date and read index-only (patient_id is
-- its last column), instead of certificates_unit_patient_chain_idx scanned over the unit's whole history: on the 2M
-- data set the largest unit's patient list took 18 ms over 134,512 index entries, and 3.5 ms now. The chaining reads
-- certificates_patient_chain_idx since cases span units (0010), so nothing needs the old index, and every write kept
-- it. Building the index takes the certificates table's write lock (6 s on the 2M data set): apply it with the
-- service stopped, as 0010, 0011 and 0021.
DROP INDEX "certificates_unit_patient_chain_idx";--> statement-breakpoint
DROP INDEX "certificates_unit_window_idx";--> statement-breakpoint
CREATE INDEX "certificates_unit_window_idx" ON "certificates" USING btree ("care_giver_id","unit_id","end_date","start_date","patient_id") WHERE "certificates"."counts";
