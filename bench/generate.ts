/**
 * Deterministic synthetic sick-leave data, written straight into PostgreSQL (no HTTP): multi-row
 * INSERT ... SELECT FROM unnest(...) in chunks, secondary indexes dropped during the load and rebuilt after.
 *
 *   npx tsx bench/generate.ts --size 200k|2M|10M [--seed 42] [--database-url postgres://…/samverkan_bench_200k]
 *
 * Shape: 21 care givers, 2,000 units with a Zipf-skewed share of the certificates over two years (10M: ten); cases are chains of 2–6
 * certificates with gaps of 0–10 days and degree steps 100 → 50 → 25; diagnoses weighted to F and M chapters;
 * valid personnummer (Luhn) and HSA-ids. The largest unit (SE2321000001-U0000) gets 5,000 patients whose case
 * covers ACTIVE_ON, plus its share of history. About 5 % of certificates are AG copies (stored, never counted).
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { fromEpochDay, toEpochDay } from '../src/domain/calendar.js';
import { isPersonalIdentity } from '../src/domain/personal-identity.js';

export const ACTIVE_ON = '2026-03-16';
export const LARGEST_UNIT = 'SE2321000001-U0000';
export const LARGEST_CARE_GIVER = 'SE2321000001-VG';
const SIZES: Record<string, number> = { '200k': 200_000, '2M': 2_000_000, '10M': 10_000_000 };
const CARE_GIVERS = 21;
const UNITS = 2_000;
const LARGEST_ACTIVE = 5_000;
const CHUNK = 20_000;
/** Background cases start within this many days before ACTIVE_ON (+30): two years up to 2M, then longer, so that a
 * bigger data set is more history (10M: ten years) with about the same number of cases active on one day. */
const spanDays = (total: number) => Math.max(730, Math.round((730 * total) / 2_000_000));

/** mulberry32: small, fast and deterministic. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const careGiverId = (g: number) => `SE23210000${pad(g + 1, 2)}-VG`;
const unitCareGiver = (u: number) => u % CARE_GIVERS;
const unitId = (u: number) => `SE23210000${pad(unitCareGiver(u) + 1, 2)}-U${pad(u, 4)}`;

/** Personnummer with its Luhn check digit computed over YYMMDDNNN. */
export function personnummer(birth: string, serial: number): string {
  const body = `${birth.slice(2)}${pad(serial, 3)}`;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const product = Number(body[i]) * (i % 2 === 0 ? 2 : 1);
    sum += product > 9 ? product - 9 : product;
  }
  return `${birth}${pad(serial, 3)}${(10 - (sum % 10)) % 10}`;
}

const FIRST = ['Anna', 'Erik', 'Maria', 'Lars', 'Karin', 'Johan', 'Sara', 'Mikael', 'Eva', 'Ali', 'Fatima', 'Nils'];
const LAST = ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson'];
const F_CODES = ['F321', 'F329', 'F430', 'F432', 'F438', 'F411', 'F331'];
const M_CODES = ['M545', 'M751', 'M796', 'M170', 'M255', 'M544'];
const OTHER_CODES = ['J069', 'R53', 'S832', 'G439', 'I10', 'K589', 'Z730', 'O260', 'C509', 'N390'];

interface Period {
  degree: number;
  start: number;
  end: number;
}

class Generator {
  readonly rnd: () => number;
  private patientSeq = 0;
  private certSeq = 0;
  readonly unitPatients: string[][] = Array.from({ length: UNITS }, () => []);
  readonly cumulative: number[] = [];
  readonly activeOn = toEpochDay(ACTIVE_ON);

  constructor(seed: number) {
    this.rnd = prng(seed);
    let sum = 0;
    for (let u = 0; u < UNITS; u++) {
      sum += 1 / (u + 1) ** 0.8;
      this.cumulative.push(sum);
    }
    for (let u = 0; u < UNITS; u++) this.cumulative[u]! /= sum;
  }

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  unit(): number {
    const r = this.rnd();
    let lo = 0;
    let hi = UNITS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  newPatient(): { id: string; name: string } {
    this.patientSeq += 1;
    const birth = toEpochDay('1958-01-01') + this.int(47 * 365);
    // Serial 000 is never issued (and is refused by validation), so 001–999.
    const id = personnummer(fromEpochDay(birth).replaceAll('-', ''), 1 + this.int(999));
    // Rows are written past the API, so hold them to the API's own rule.
    if (!isPersonalIdentity(id)) throw new Error('generated an invalid personnummer');
    return { id, name: `${this.pick(FIRST)} ${this.pick(LAST)}` };
  }
  diagnoses(): string[] {
    const r = this.rnd();
    const main = r < 0.4 ? this.pick(F_CODES) : r < 0.7 ? this.pick(M_CODES) : this.pick(OTHER_CODES);
    return this.rnd() < 0.3
      ? [main, this.pick([...F_CODES, ...OTHER_CODES])].filter((c, i, a) => a.indexOf(c) === i)
      : [main];
  }

  /** A chain of 2–6 certificates from day 0: each 1–2 periods, degree steps down 100 → 50 → 25, gaps 0–10 days. */
  chain(): Period[][] {
    const count = 2 + this.int(5);
    let degree = this.rnd() < 0.7 ? 100 : this.rnd() < 0.7 ? 50 : 25;
    const down = (d: number) => (d === 100 ? 50 : 25);
    let day = 0;
    const certs: Period[][] = [];
    for (let i = 0; i < count; i++) {
      const periods: Period[] = [];
      const parts = degree > 25 && this.rnd() < 0.3 ? 2 : 1;
      for (let p = 0; p < parts; p++) {
        const length = 7 + this.int(40);
        periods.push({ degree, start: day, end: day + length - 1 });
        day += length;
        if (p < parts - 1) degree = down(degree);
      }
      certs.push(periods);
      if (degree > 25 && this.rnd() < 0.35) degree = down(degree);
      day += this.int(11);
    }
    return certs;
  }
  nextCertId(): string {
    this.certSeq += 1;
    return `b-${pad(this.certSeq, 9)}`;
  }
}

class Batch {
  certs = {
    id: [] as string[],
    type: [] as string[],
    cg: [] as string[],
    unit: [] as string[],
    pid: [] as string[],
    pname: [] as string[],
    did: [] as string[],
    dname: [] as string[],
    signed: [] as string[],
    start: [] as string[],
    end: [] as string[],
    counts: [] as boolean[],
  };
  periods = {
    cid: [] as string[],
    ord: [] as number[],
    degree: [] as number[],
    start: [] as string[],
    end: [] as string[],
  };
  diagnoses = { cid: [] as string[], ord: [] as number[], code: [] as string[] };
  get size() {
    return this.certs.id.length;
  }
}

async function insertBatch(client: pg.PoolClient, b: Batch): Promise<void> {
  const c = b.certs;
  const p = b.periods;
  const d = b.diagnoses;
  await client.query('begin');
  // The period and diagnosis arrays of each certificate row (as the certificates repository writes them), grouped
  // from the same batch's period and diagnosis lists.
  await client.query(
    `with p as (
       select cid, array_agg(degree order by ord) as degrees, array_agg(ps order by ord) as starts,
              array_agg(pe order by ord) as ends
       from unnest($13::text[], $14::smallint[], $15::smallint[], $16::date[], $17::date[]) as p(cid, ord, degree, ps, pe)
       group by cid
     ),
     d as (
       select cid, array_agg(code order by ord) as codes
       from unnest($18::text[], $19::smallint[], $20::text[]) as d(cid, ord, code) group by cid
     )
     insert into certificates (id, type, care_giver_id, unit_id, patient_id, patient_name, doctor_id, doctor_name,
       signed_at, start_date, end_date, occupations, counts, content_hash, content, created_by,
       period_degrees, period_starts, period_ends, diagnosis_codes)
     select id, type, cg, unit, pid, pname, did, dname, signed::timestamptz, s::date, e::date, array['CURRENT_JOB'],
       counts, md5(id) || md5(pid),
       jsonb_build_object('id', id, 'type', type, 'patient', jsonb_build_object('id', pid, 'name', pname),
         'issuedBy', jsonb_build_object('id', did, 'name', dname), 'unit', jsonb_build_object('id', unit),
         'careGiver', jsonb_build_object('id', cg), 'signedAt', signed, 'occupations', jsonb_build_array('CURRENT_JOB')),
       'bench', coalesce(p.degrees, '{}'), coalesce(p.starts, '{}'), coalesce(p.ends, '{}'), coalesce(d.codes, '{}')
     from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                 $9::text[], $10::text[], $11::text[], $12::bool[])
       as t(id, type, cg, unit, pid, pname, did, dname, signed, s, e, counts)
     left join p on p.cid = t.id left join d on d.cid = t.id`,
    [
      ...[c.id, c.type, c.cg, c.unit, c.pid, c.pname, c.did, c.dname, c.signed, c.start, c.end, c.counts],
      ...[p.cid, p.ord, p.degree, p.start, p.end, d.cid, d.ord, d.code],
    ],
  );
  await client.query('commit');
}

async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error('database name must be [a-z0-9_]');
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
  if (exists.rowCount === 0) await client.query(`create database ${name}`);
  await client.end();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '2M' },
      seed: { type: 'string', default: '42' },
      'database-url': { type: 'string' },
    },
  });
  const total = SIZES[values.size!];
  if (!total) throw new Error(`--size must be one of ${Object.keys(SIZES).join(', ')}`);
  const span = spanDays(total);
  const url =
    values['database-url'] ??
    process.env.DATABASE_URL ??
    `postgres://postgres@127.0.0.1:5432/samverkan_bench_${values.size!.toLowerCase()}`;
  const began = performance.now();
  await ensureDatabase(url);
  const database = await openDatabase({ url });
  await runMigrations(database);
  await database.close();

  const pool = new pg.Pool({ connectionString: url, max: 3, options: '-c TimeZone=UTC -c synchronous_commit=off' });
  const admin = await pool.connect();
  // The audit tables refuse TRUNCATE (migrations 0015, 0016): their triggers are off for this one, in one transaction.
  await admin.query(`begin;
    alter table audit_events disable trigger user; alter table audit_seal_blocks disable trigger user;
    alter table audit_chain_heads disable trigger user;
    truncate audit_events, audit_chain_heads, audit_seal_blocks, certificate_relations, certificates, units,
      care_givers, coordination_statuses, coordination_efforts, consents, patient_case_units
      restart identity cascade;
    alter table audit_events enable trigger user; alter table audit_seal_blocks enable trigger user;
    alter table audit_chain_heads enable trigger user;
    commit`);
  // Secondary indexes are rebuilt once after the load: far faster than maintaining them row by row.
  const indexes = (
    await admin.query<{ indexname: string; indexdef: string }>(
      `select i.indexname, i.indexdef from pg_indexes i
       where i.schemaname = 'public' and i.tablename = 'certificates'
         and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
    )
  ).rows;
  for (const i of indexes) await admin.query(`drop index ${i.indexname}`);
  const now = new Date().toISOString();
  for (let g = 0; g < CARE_GIVERS; g++) {
    await admin.query('insert into care_givers (id, name, name_signed_at) values ($1, $2, $3)', [
      careGiverId(g),
      `Region ${g + 1}`,
      now,
    ]);
  }
  await admin.query(
    `insert into units (id, care_giver_id, name, name_signed_at)
     select id, cg, name, $4::timestamptz from unnest($1::text[], $2::text[], $3::text[]) as t(id, cg, name)`,
    [
      Array.from({ length: UNITS }, (_, u) => unitId(u)),
      Array.from({ length: UNITS }, (_, u) => careGiverId(unitCareGiver(u))),
      Array.from({ length: UNITS }, (_, u) => `Vårdcentral ${u}`),
      now,
    ],
  );
  admin.release();

  const gen = new Generator(Number(values.seed));
  let batch = new Batch();
  let written = 0;
  const inFlight = new Set<Promise<void>>();
  const flush = async () => {
    if (batch.size === 0) return;
    const full = batch;
    batch = new Batch();
    written += full.size;
    const job = (async () => {
      const client = await pool.connect();
      try {
        await insertBatch(client, full);
      } finally {
        client.release();
      }
    })();
    inFlight.add(job);
    void job.finally(() => inFlight.delete(job));
    if (inFlight.size >= 2) await Promise.race(inFlight);
  };

  /** Writes one case (a chain shifted by `offset` days from the epoch) for a patient at a unit. */
  const addCase = async (u: number, patient: { id: string; name: string }, chain: Period[][], offset: number) => {
    const doctors = 3 + (u % 25);
    const diagnoses = gen.diagnoses();
    for (const periods of chain) {
      const doctor = gen.int(doctors);
      const start = periods[0]!.start + offset;
      const signedDay = start - gen.int(4);
      const signedAt = `${fromEpochDay(signedDay)}T${pad(7 + gen.int(10), 2)}:${pad(gen.int(60), 2)}:00Z`;
      const copies = gen.rnd() < 0.05 ? ['FK7804', 'AG7804'] : ['FK7804'];
      for (const type of copies) {
        const id = gen.nextCertId();
        const c = batch.certs;
        c.id.push(id);
        c.type.push(type);
        c.cg.push(careGiverId(unitCareGiver(u)));
        c.unit.push(unitId(u));
        c.pid.push(patient.id);
        c.pname.push(patient.name);
        c.did.push(`${unitId(u).slice(0, 12)}-D${pad(u, 4)}x${doctor}`);
        c.dname.push(`Dr ${FIRST[doctor % FIRST.length]} ${LAST[(u + doctor) % LAST.length]}`);
        c.signed.push(signedAt);
        c.start.push(fromEpochDay(start));
        c.end.push(fromEpochDay(periods[periods.length - 1]!.end + offset));
        c.counts.push(type === 'FK7804');
        periods.forEach((p, i) => {
          batch.periods.cid.push(id);
          batch.periods.ord.push(i);
          batch.periods.degree.push(p.degree);
          batch.periods.start.push(fromEpochDay(p.start + offset));
          batch.periods.end.push(fromEpochDay(p.end + offset));
        });
        diagnoses.forEach((code, i) => {
          batch.diagnoses.cid.push(id);
          batch.diagnoses.ord.push(i);
          batch.diagnoses.code.push(code);
        });
      }
      if (batch.size >= CHUNK) await flush();
    }
    return chain.length;
  };

  // The largest unit: LARGEST_ACTIVE patients whose case covers ACTIVE_ON.
  let certificates = 0;
  const names = new Map<string, string>();
  for (let i = 0; i < LARGEST_ACTIVE; i++) {
    const chain = gen.chain();
    const periods = chain.flat();
    const p = periods[gen.int(periods.length)]!;
    const dayInside = p.start + gen.int(p.end - p.start + 1);
    const patient = gen.newPatient();
    gen.unitPatients[0]!.push(patient.id);
    names.set(patient.id, patient.name);
    certificates += await addCase(0, patient, chain, gen.activeOn - dayInside);
  }
  const largestActive = gen.unitPatients[0]!.slice();
  // Background: every unit by its Zipf share; 30 % of cases are a returning patient of the unit.
  while (certificates < total) {
    const u = gen.unit();
    const chain = gen.chain();
    const length = chain[chain.length - 1]![chain[chain.length - 1]!.length - 1]!.end;
    let patient: { id: string; name: string };
    const known = u === 0 ? largestActive : gen.unitPatients[u]!;
    if (known.length > 0 && gen.rnd() < (u === 0 ? 0.5 : 0.3)) {
      const id = gen.pick(known);
      patient = { id, name: names.get(id) ?? 'Återkommande Patient' };
    } else {
      patient = gen.newPatient();
      names.set(patient.id, patient.name);
      if (gen.unitPatients[u]!.length < 5_000) gen.unitPatients[u]!.push(patient.id);
    }
    // The largest unit's background is history that ended well before ACTIVE_ON, so its active count stays known.
    const offset =
      u === 0
        ? gen.activeOn - 60 - length - gen.int(span)
        : gen.activeOn + 30 - gen.int(span + 30) - Math.floor(length / 2);
    certificates += await addCase(u, patient, chain, offset);
  }
  await flush();
  await Promise.all(inFlight);
  const loadedAt = performance.now();

  const client = await pool.connect();
  await client.query(`set maintenance_work_mem = '512MB'`);
  for (const i of indexes) await client.query(i.indexdef);
  // The load bypassed the certificates repository: bump every unit's case version as its writes would have.
  await client.query(`insert into unit_case_versions (unit_id, care_giver_id, version)
    select id, care_giver_id, (extract(epoch from clock_timestamp()) * 1000000)::bigint from units order by id
    on conflict (unit_id) do update set version = unit_case_versions.version + 1`);
  // ... and record the units of each patient's counted certificates, whose versions a later write must bump.
  await client.query(`insert into patient_case_units (care_giver_id, patient_id, unit_ids)
    select care_giver_id, patient_id, array_agg(distinct unit_id order by unit_id) from certificates where counts
    group by care_giver_id, patient_id`);
  // VACUUM sets the visibility map, so the chaining index is read index-only from the first request on.
  await client.query('vacuum analyze certificates, units, care_givers, patient_case_units');
  const counts = await client.query<{ certificates: string; periods: string; diagnoses: string }>(
    `select count(*) certificates, sum(cardinality(period_degrees)) periods,
            sum(cardinality(diagnosis_codes)) diagnoses from certificates`,
  );
  client.release();
  await pool.end();
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  process.stdout.write(
    `${JSON.stringify({
      size: values.size,
      database: new URL(url).pathname.slice(1),
      ...counts.rows[0],
      written,
      largestUnit: LARGEST_UNIT,
      careGiver: LARGEST_CARE_GIVER,
      activeOn: ACTIVE_ON,
      load: seconds(loadedAt - began),
      indexes: seconds(performance.now() - loadedAt),
    })}\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
