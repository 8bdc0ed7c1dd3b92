CREATE TABLE "audit_chain_heads" (
	"care_giver_id" text PRIMARY KEY NOT NULL,
	"last_hash" char(64) NOT NULL,
	"last_id" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp (3) with time zone NOT NULL,
	"actor_id" text NOT NULL,
	"role" text NOT NULL,
	"care_giver_id" text NOT NULL,
	"unit_id" text,
	"patient_id" char(12),
	"action" text NOT NULL,
	"resource" text NOT NULL,
	"resource_id" text,
	"request_id" text,
	"purpose" text NOT NULL,
	"prev_hash" char(64) NOT NULL,
	"hash" char(64) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "care_givers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_signed_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "certificate_diagnoses" (
	"certificate_id" text NOT NULL,
	"ordinal" smallint NOT NULL,
	"code" text NOT NULL,
	CONSTRAINT "certificate_diagnoses_certificate_id_ordinal_pk" PRIMARY KEY("certificate_id","ordinal")
);
--> statement-breakpoint
CREATE TABLE "certificate_periods" (
	"certificate_id" text NOT NULL,
	"ordinal" smallint NOT NULL,
	"degree" smallint NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	CONSTRAINT "certificate_periods_certificate_id_ordinal_pk" PRIMARY KEY("certificate_id","ordinal")
);
--> statement-breakpoint
CREATE TABLE "certificate_relations" (
	"certificate_id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"target_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"care_giver_id" text NOT NULL,
	"unit_id" text NOT NULL,
	"patient_id" char(12) NOT NULL,
	"patient_name" text,
	"doctor_id" text NOT NULL,
	"doctor_name" text,
	"signed_at" timestamp (3) with time zone NOT NULL,
	"start_date" date NOT NULL,
	"end_date" date NOT NULL,
	"occupations" text[] NOT NULL,
	"infection_control" boolean DEFAULT false NOT NULL,
	"test" boolean DEFAULT false NOT NULL,
	"counts" boolean NOT NULL,
	"superseded_by" text,
	"revoked_at" timestamp (3) with time zone,
	"revoked_by" text,
	"revoke_reason" text,
	"content_hash" char(64) NOT NULL,
	"content" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"care_giver_id" text NOT NULL,
	"unit_id" text NOT NULL,
	"patient_id" char(12) NOT NULL,
	"kind" text NOT NULL,
	"form" text NOT NULL,
	"actors" text[] NOT NULL,
	"purpose" text,
	"journal_reference" text,
	"given_on" date NOT NULL,
	"valid_from" date NOT NULL,
	"valid_until" date NOT NULL,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"revoked_by" text,
	"revoke_reason" text,
	"voided_at" timestamp (3) with time zone,
	"voided_by" text,
	"void_reason" text
);
--> statement-breakpoint
CREATE TABLE "coordination_efforts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"care_giver_id" text NOT NULL,
	"unit_id" text NOT NULL,
	"patient_id" char(12) NOT NULL,
	"kind" text NOT NULL,
	"actor" text,
	"performed_on" date NOT NULL,
	"status" text NOT NULL,
	"note" text,
	"consent_id" uuid NOT NULL,
	"sharing_consent_id" uuid,
	"created_by" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "coordination_statuses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"care_giver_id" text NOT NULL,
	"unit_id" text NOT NULL,
	"patient_id" char(12) NOT NULL,
	"status" text NOT NULL,
	"set_on" date NOT NULL,
	"set_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"set_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "units" (
	"id" text PRIMARY KEY NOT NULL,
	"care_giver_id" text NOT NULL,
	"name" text NOT NULL,
	"name_signed_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "certificate_diagnoses" ADD CONSTRAINT "certificate_diagnoses_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificate_periods" ADD CONSTRAINT "certificate_periods_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificate_relations" ADD CONSTRAINT "certificate_relations_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "units" ADD CONSTRAINT "units_care_giver_id_care_givers_id_fk" FOREIGN KEY ("care_giver_id") REFERENCES "public"."care_givers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_events_care_giver_idx" ON "audit_events" USING btree ("care_giver_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_patient_idx" ON "audit_events" USING btree ("care_giver_id","patient_id","id");--> statement-breakpoint
CREATE INDEX "certificate_relations_target_idx" ON "certificate_relations" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "certificates_unit_window_idx" ON "certificates" USING btree ("care_giver_id","unit_id","end_date","start_date") WHERE "certificates"."counts";--> statement-breakpoint
CREATE INDEX "certificates_patient_idx" ON "certificates" USING btree ("care_giver_id","patient_id","start_date");--> statement-breakpoint
CREATE INDEX "consents_patient_idx" ON "consents" USING btree ("care_giver_id","patient_id","unit_id","kind");--> statement-breakpoint
CREATE INDEX "coordination_efforts_unit_idx" ON "coordination_efforts" USING btree ("care_giver_id","unit_id","performed_on","id");--> statement-breakpoint
CREATE INDEX "coordination_efforts_patient_idx" ON "coordination_efforts" USING btree ("care_giver_id","patient_id","performed_on");--> statement-breakpoint
CREATE INDEX "coordination_statuses_unit_patient_idx" ON "coordination_statuses" USING btree ("care_giver_id","unit_id","patient_id","set_at");--> statement-breakpoint
CREATE INDEX "units_care_giver_idx" ON "units" USING btree ("care_giver_id");