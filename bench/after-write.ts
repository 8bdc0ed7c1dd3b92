/**
 * The overview right after a write: the case cache of the unit is behind by one version on every read, the way a
 * busy unit is during the day (EHR systems post certificates while coordinators read). Each round posts one
 * certificate for a patient of the largest unit, then times the overview (first page of 100 with total); every
 * fifth round also times a read with no write before it (cache current).
 *
 *   npx tsx bench/after-write.ts [--size 2M] [--database-url postgres://…] [--rounds 60]
 *
 * The certificates are added to the data set (a few per run, to patients who are on sick leave already, so the
 * unit's active count does not change).
 */
import { parseArgs } from 'node:util';
import { ACTIVE_ON, ensureDataSet, idSource, largestUnit } from './lib/data.js';
import { percentile } from './lib/load.js';
import { startService, token } from './lib/service.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '2M' },
    'database-url': { type: 'string' },
    rounds: { type: 'string', default: '60' },
  },
});
const size = values.size!;
const databaseUrl =
  values['database-url'] ?? `postgres://postgres@127.0.0.1:5432/samverkan_bench_run_${size.toLowerCase()}`;
const rounds = Number(values.rounds);

await ensureDataSet(size, databaseUrl, false);
const largest = await largestUnit(databaseUrl);
const service = await startService({ databaseUrl });
const ehr = `Bearer ${token({ sub: 'SE2321000001-EHR1', role: 'ehr', careGiverId: largest.careGiverId, units: [largest.unitId] })}`;
const coordinator = `Bearer ${token({ sub: 'SE2321000001-K001', role: 'coordinator', careGiverId: largest.careGiverId, units: [largest.unitId] })}`;
const nextId = idSource();

async function overview(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${service.base}/v1/units/${largest.unitId}/sick-leaves?activeOn=${ACTIVE_ON}&limit=100`, {
    headers: { authorization: coordinator },
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`overview answered ${res.status}`);
  return performance.now() - started;
}

async function post(round: number): Promise<void> {
  const patient = largest.patients[round % largest.patients.length]!;
  const res = await fetch(`${service.base}/v1/certificates`, {
    method: 'POST',
    headers: { authorization: ehr, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: nextId(),
      type: 'FK7804',
      patient: { id: patient, name: 'Test Testsson' },
      issuedBy: { id: 'SE2321000001-D001', name: 'Dr Test' },
      unit: { id: largest.unitId, name: 'Vårdcentral 0' },
      careGiver: { id: largest.careGiverId, name: 'Region 1' },
      signedAt: `${ACTIVE_ON}T08:00:00Z`,
      diagnoses: [{ code: 'F32.1' }],
      periods: [{ degree: 50, start: ACTIVE_ON, end: '2026-04-15' }],
      occupations: ['CURRENT_JOB'],
    }),
  });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`post answered ${res.status}`);
}

try {
  const first = await overview(); // builds the unit's cases once
  const afterWrite: number[] = [];
  const current: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await post(round);
    afterWrite.push(await overview());
    if (round % 5 === 4) current.push(await overview());
  }
  const summary = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return `p50 ${percentile(sorted, 50).toFixed(1)} / p95 ${percentile(sorted, 95).toFixed(1)} ms (${xs.length})`;
  };
  console.log(
    JSON.stringify({
      size,
      unit: largest.unitId,
      activePatients: largest.activePatients,
      firstBuildMs: Number(first.toFixed(1)),
      afterWrite: summary(afterWrite),
      cacheCurrent: summary(current),
    }),
  );
} finally {
  await service.stop();
}
