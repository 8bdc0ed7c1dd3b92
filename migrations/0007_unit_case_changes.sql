CREATE TABLE "unit_case_changes" (
	"unit_id" text NOT NULL,
	"version" bigint NOT NULL,
	"patient_id" char(12) NOT NULL,
	CONSTRAINT "unit_case_changes_unit_id_version_patient_id_pk" PRIMARY KEY("unit_id","version","patient_id")
);
