-- The unit's effort list is newest first by day, then by when each was recorded (as the patient's list): the
-- index follows that order (its tie-break was the random id).
DROP INDEX "coordination_efforts_unit_idx";--> statement-breakpoint
CREATE INDEX "coordination_efforts_unit_idx" ON "coordination_efforts" USING btree ("care_giver_id","unit_id","performed_on","created_at","id");