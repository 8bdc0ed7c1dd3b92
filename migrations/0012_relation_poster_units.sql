-- The units the posting token covered, kept with each relation: a target stored after its replacement is superseded
-- only at one of them (a stored target is checked on posting, 403). Null for relations stored before: unrestricted.
ALTER TABLE "certificate_relations" ADD COLUMN "poster_units" text[];