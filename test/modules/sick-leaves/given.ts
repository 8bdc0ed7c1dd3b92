import { sql } from 'drizzle-orm';
import type { Executor } from '../../../src/db/client.js';
import { certificates } from '../../../src/db/schema.js';
import { bumpUnitCaseVersions, claimUnits } from '../../../src/modules/certificates/repository.js';
import { CARE_GIVER, DOCTOR, UNIT } from '../../helpers/tokens.js';

export interface GivenCertificate {
  id?: string;
  type?: string;
  patientId?: string;
  patientName?: string;
  doctorId?: string;
  doctorName?: string;
  unitId?: string;
  careGiverId?: string;
  signedAt?: string;
  diagnoses?: string[];
  /** [degree, start, end] */
  periods: [number, string, string][];
  counts?: boolean;
}

let seq = 0;

/**
 * Writes a certificate straight into the tables, as the certificates module would have stored it (counts = true by
 * default), so these tests do not depend on the certificates endpoint. Like every write of that module it bumps the
 * unit's case version, or a cached case list would hide the new certificate.
 */
export async function givenCertificate(db: Executor, c: GivenCertificate): Promise<string> {
  seq += 1;
  const id = c.id ?? `t-${process.pid}-${seq}`;
  const starts = c.periods.map((p) => p[1]).sort();
  const ends = c.periods.map((p) => p[2]).sort();
  // A certificate's unit is its care giver's (a key of the two): claimed as the service's first write there would.
  await claimUnits(db, c.careGiverId ?? CARE_GIVER, [c.unitId ?? UNIT]);
  await db.insert(certificates).values({
    id,
    type: c.type ?? 'FK7804',
    careGiverId: c.careGiverId ?? CARE_GIVER,
    unitId: c.unitId ?? UNIT,
    patientId: c.patientId ?? '191212121212',
    patientName: c.patientName ?? 'Tolvan Tolvansson',
    doctorId: c.doctorId ?? DOCTOR,
    doctorName: c.doctorName ?? 'Dr Lisa Läkare',
    signedAt: new Date(c.signedAt ?? '2026-01-01T08:00:00Z'),
    startDate: starts[0]!,
    endDate: ends[ends.length - 1]!,
    occupations: ['CURRENT_JOB'],
    counts: c.counts ?? true,
    contentHash: '0'.repeat(64),
    content: {},
    createdBy: 'test',
    periodDegrees: c.periods.map((p) => p[0]),
    periodStarts: c.periods.map((p) => p[1]),
    periodEnds: c.periods.map((p) => p[2]),
    diagnosisCodes: c.diagnoses ?? ['F321'],
  });
  await bumpUnitCaseVersions(db, [{ careGiverId: c.careGiverId ?? CARE_GIVER, id }]);
  return id;
}

export async function givenCoordinationStatus(
  db: Executor,
  s: { patientId: string; status: string; setOn: string; unitId?: string; setAt?: string },
): Promise<void> {
  await db.execute(
    sql`insert into coordination_statuses (care_giver_id, unit_id, patient_id, status, set_on, set_at, set_by)
        values (${CARE_GIVER}, ${s.unitId ?? UNIT}, ${s.patientId}, ${s.status}, ${s.setOn},
                ${s.setAt ?? '2026-01-01T00:00:00Z'}::timestamptz, 'SE2321000016-K001')`,
  );
}

export async function auditReads(db: Executor): Promise<{ patient_id: string; resource: string; action: string }[]> {
  const result = (await db.execute(
    sql`select patient_id, resource, action from audit_events order by id`,
  )) as unknown as { rows: { patient_id: string; resource: string; action: string }[] };
  return result.rows;
}

/** A valid personnummer for a birth date 'YYYYMMDD' and a three-digit serial (Luhn check digit over YYMMDDNNN). */
export function personnummer(birth: string, serial: number): string {
  const body = `${birth.slice(2)}${String(serial).padStart(3, '0')}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const product = Number(body[i]) * (i % 2 === 0 ? 2 : 1);
    sum += product > 9 ? product - 9 : product;
  }
  return `${birth}${String(serial).padStart(3, '0')}${(10 - (sum % 10)) % 10}`;
}
