/**
 * The bench's data: a generated database (bench/generate.ts) reused when it is there, scratch databases for the
 * write scenarios, and valid request bodies (personnummer with Luhn digit, unique certificate ids).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { CERTIFICATE_EXAMPLE } from '../../src/modules/certificates/schemas.js';
import type { HttpLoad } from './load.js';
import { ROOT, token } from './service.js';

export const ACTIVE_ON = '2026-03-16';
export const SIZES: Record<string, number> = { '200k': 200_000, '2M': 2_000_000, '10M': 10_000_000 };

function adminUrl(url: string): string {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return admin.toString();
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Certificates in the database, or undefined when the database or its tables are missing. */
export async function certificateCount(url: string): Promise<number | undefined> {
  const name = new URL(url).pathname.slice(1);
  const exists = await withClient(adminUrl(url), (c) =>
    c.query('select 1 from pg_database where datname = $1', [name]),
  );
  if (exists.rowCount === 0) return undefined;
  return withClient(url, async (c) => {
    const table = await c.query(`select to_regclass('public.certificates') as t`);
    if (!table.rows[0].t) return undefined;
    const { rows } = await c.query<{ n: number }>('select count(*)::int as n from certificates');
    return rows[0]!.n;
  });
}

/** Runs bench/generate.ts as a child process (it prints one JSON line of what it loaded). */
export async function generate(size: string, url: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/generate.ts', '--size', size, '--database-url', url],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`bench/generate.ts exited with ${code}`);
}

/** Generates the data set unless the database already holds at least 90 % of `size` certificates. */
export async function ensureDataSet(size: string, url: string, regenerate: boolean): Promise<'reused' | 'generated'> {
  const count = await certificateCount(url);
  if (!regenerate && count !== undefined && count >= SIZES[size]! * 0.9) return 'reused';
  await generate(size, url);
  return 'generated';
}

export interface Largest {
  careGiverId: string;
  unitId: string;
  activePatients: number;
  /** Patients of the unit with a case on ACTIVE_ON, most certificates first (for history and consent checks). */
  patients: string[];
  certificates: number;
}

export async function largestUnit(url: string): Promise<Largest> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ care_giver_id: string; unit_id: string; patients: number }>(
      `select care_giver_id, unit_id, count(distinct patient_id)::int as patients from certificates
       where counts and start_date <= $1::date and end_date >= $1::date
       group by 1, 2 order by 3 desc limit 1`,
      [ACTIVE_ON],
    );
    const top = rows[0]!;
    const patients = await c.query<{ patient_id: string }>(
      `select patient_id from certificates
       where care_giver_id = $1 and unit_id = $2 and counts and start_date <= $3::date and end_date >= $3::date
       group by patient_id
       order by (select count(*) from certificates h where h.care_giver_id = $1 and h.patient_id = certificates.patient_id) desc,
                patient_id
       limit 50`,
      [top.care_giver_id, top.unit_id, ACTIVE_ON],
    );
    const total = await c.query<{ n: number }>('select count(*)::int as n from certificates');
    return {
      careGiverId: top.care_giver_id,
      unitId: top.unit_id,
      activePatients: top.patients,
      patients: patients.rows.map((r) => r.patient_id),
      certificates: total.rows[0]!.n,
    };
  });
}

/** An empty database next to `url`'s, for the write scenarios; the service migrates it on start. */
export async function scratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `samverkan_bench_scratch_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl(url), (c) => c.query(`create database ${name}`));
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    drop: () =>
      withClient(adminUrl(url), (c) => c.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}

/** A valid 12-digit personnummer for a running number (Luhn over YYMMDDNNN). */
export function personnummer(n: number): string {
  const year = 1950 + (n % 50);
  const month = 1 + (Math.floor(n / 50) % 12);
  const day = 1 + (Math.floor(n / 600) % 28);
  const serial = 100 + (Math.floor(n / 16_800) % 900);
  const ten = `${String(year).slice(2)}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${serial}`;
  let sum = 0;
  for (let i = 0; i < 9; i++) {
    let d = Number(ten[i]) * (i % 2 === 0 ? 2 : 1);
    if (d > 9) d -= 9;
    sum += d;
  }
  return `${String(year).slice(0, 2)}${ten}${(10 - (sum % 10)) % 10}`;
}

export const INGEST_CARE_GIVER = 'SE2321000016-CG01';
export const INGEST_UNIT = 'SE2321000016-U001';

/** The units the write scenarios post to: INGEST_UNIT first, then more of the same care giver. */
export function ingestUnits(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? INGEST_UNIT : `SE2321000016-U${String(i + 1).padStart(3, '0')}`,
  );
}

/**
 * Certificates as JSON text with `__ID__` where each request puts a new id (1,000 patients, 2 periods each), spread
 * round-robin over `units`.
 */
export function certificateTemplates(units: string[] = [INGEST_UNIT], count = 1_000): string[] {
  return Array.from({ length: count }, (_, n) =>
    JSON.stringify({
      ...CERTIFICATE_EXAMPLE,
      id: '__ID__',
      patient: { id: personnummer(n), name: 'Test Testsson' },
      unit: { id: units[n % units.length], name: 'Vårdcentralen Norr' },
      careGiver: { id: INGEST_CARE_GIVER, name: 'Region Exempel' },
    }),
  );
}

/** Unique certificate ids across runs and processes. */
export function idSource(): () => string {
  const prefix = `bench-${Date.now().toString(36)}-${process.pid}`;
  let seq = 0;
  return () => `${prefix}-${seq++}`;
}

/**
 * What the write scenarios post for `units` of INGEST_CARE_GIVER: an EHR token's headers, and bodies with ids unique
 * across runs, built as they are sent (one certificate, or a batch of one per template).
 */
export function ingestRequests(units: string[]) {
  const headers = {
    authorization: `Bearer ${token({ sub: 'SE2321000016-EHR1', role: 'ehr', careGiverId: INGEST_CARE_GIVER, units })}`,
  };
  const templates = certificateTemplates(units);
  const nextId = idSource();
  let n = 0;
  const single = () => templates[n++ % templates.length]!.replace('__ID__', nextId());
  const batch = () => `{"certificates":[${templates.map((t) => t.replace('__ID__', nextId())).join(',')}]}`;
  return { headers, single, batch };
}

/**
 * Consent checks for INGEST_UNIT: a coordinator's headers and one body per patient of `count`, after recording a
 * coordination consent for each through the service at `base` (checked to be allowed). Returns the bodies and the
 * answer to the first, which the bare Fastify ceiling sends back.
 */
export async function consentCheckRequests(base: string, count = 50) {
  const unitId = INGEST_UNIT;
  const headers = {
    authorization: `Bearer ${token({ sub: 'SE2321000016-K001', role: 'coordinator', careGiverId: INGEST_CARE_GIVER, units: [unitId] })}`,
    'content-type': 'application/json',
  };
  const on = new Date().toISOString().slice(0, 10);
  const patients = Array.from({ length: count }, (_, i) => personnummer(i));
  for (const patientId of patients) {
    const res = await fetch(`${base}/v1/consents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ patientId, unitId, kind: 'coordination', form: 'written', givenOn: on }),
    });
    // Every answer is read to its end: one left unread holds its connection open, and the service's graceful
    // shutdown waits for it (a 1,000-certificate answer does not fit in the socket's buffers).
    const text = await res.text();
    if (res.status !== 201) throw new Error(`seeding a consent answered ${res.status}: ${text}`);
  }
  const bodies = patients.map((patientId) => JSON.stringify({ patientId, unitId, kind: 'coordination', on }));
  const sample = await fetch(`${base}/v1/consent-checks`, { method: 'POST', headers, body: bodies[0] });
  const answer = await sample.text();
  if (sample.status !== 200 || !(JSON.parse(answer) as { allowed: boolean }).allowed) {
    throw new Error(`a consent check answered ${sample.status}: ${answer}`);
  }
  return { headers, bodies, answer };
}

/**
 * Brings a scratch database to the state of a service that has run for a while: `batches` batches of 1,000 through
 * the service at `base`, then ANALYZE. Measured on tables that were just created, the write path ran against plans
 * made while they were nearly empty: a named prepared statement keeps its generic plan until the table's statistics
 * change, so the case-version bump went on scanning all of `certificates` on every write (seen here: 17 million rows
 * read to store 17,000) until autovacuum's first ANALYZE, about a minute in.
 */
export async function primeScratch(
  base: string,
  url: string,
  requests: ReturnType<typeof ingestRequests>,
  batches = 10,
): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const res = await fetch(`${base}/v1/certificates/batch`, {
      method: 'POST',
      headers: { ...requests.headers, 'content-type': 'application/json' },
      body: requests.batch(),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`priming batch answered ${res.status}: ${text.slice(0, 300)}`);
  }
  await withClient(url, (c) => c.query('analyze'));
}

/**
 * The write scenarios' loads against a service at `base`, as the issue sets them: single posts from 20 clients,
 * batches of 1,000 from 4, each body built as it is sent (unique ids).
 */
export function writeLoad(
  which: 'posts' | 'batches',
  base: string,
  requests: ReturnType<typeof ingestRequests>,
  duration: number,
): HttpLoad {
  const common = { method: 'POST' as const, headers: requests.headers, duration };
  return which === 'posts'
    ? { ...common, url: `${base}/v1/certificates`, body: requests.single, connections: 20, warmup: 200 }
    : { ...common, url: `${base}/v1/certificates/batch`, body: requests.batch, connections: 4, warmup: 4 };
}

/** Consent checks against a service at `base`, from 20 clients cycling over the bodies of consentCheckRequests. */
export function consentLoad(
  base: string,
  checks: { headers: Record<string, string>; bodies: string[] },
  duration: number,
  connections = 20,
): HttpLoad {
  const { headers, bodies } = checks;
  return {
    url: `${base}/v1/consent-checks`,
    method: 'POST',
    headers,
    body: bodies,
    connections,
    duration,
    warmup: 2_000,
  };
}
