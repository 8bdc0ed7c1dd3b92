import { sql } from 'drizzle-orm';
import { type Database, type Executor, queryRows } from '../../db/client.js';
import type { AuditService } from '../audit/service.js';
import type { ConsentService } from '../consents/service.js';

/** Coordination efforts and the coordinator status of a patient's case (issue 5). */
export class CoordinationService {
  constructor(
    readonly database: Database,
    readonly audit: AuditService,
    readonly consents: ConsentService,
  ) {}

  /**
   * The latest coordinator status (by set_at) of each patient at the unit whose set_on lies within that patient's
   * case dates; for the sick-leave overview (minimal version added by the sick-leaves module, issue 4).
   */
  async latestStatuses(
    careGiverId: string,
    unitId: string,
    cases: readonly { patientId: string; start: string; end: string }[],
    ex: Executor = this.database.readDb,
  ): Promise<Map<string, string>> {
    if (cases.length === 0) return new Map();
    const rows = await queryRows<{ patient_id: string; status: string }>(
      ex,
      sql`select distinct on (s.patient_id) s.patient_id, s.status
          from json_to_recordset(${JSON.stringify(cases)}::json) as k("patientId" text, "start" date, "end" date)
          join coordination_statuses s on s.patient_id = k."patientId"
          where s.care_giver_id = ${careGiverId} and s.unit_id = ${unitId}
            and s.set_on between k."start" and k."end"
          order by s.patient_id, s.set_at desc, s.id desc`,
    );
    return new Map(rows.map((r) => [r.patient_id, r.status]));
  }
}
