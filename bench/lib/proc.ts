/** CPU time of processes from /proc (Linux only): the service, the load's other processes, PostgreSQL backends. */
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) of a process, from /proc/<pid>/stat; 0 once it has ended. */
export function cpuSeconds(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The PostgreSQL backends serving `database` (their command line names it), with their CPU seconds so far. */
export function backendCpu(database: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.startsWith('postgres:') && cmd.includes(` ${database} `)) out.set(pid, cpuSeconds(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds spent since `before` by the processes in `after` (a process new since then counts from zero). */
export function cpuSince(before: Map<string, number>, after: Map<string, number>): number {
  let sum = 0;
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0);
  return sum;
}

/** The backends of the connections whose application_name is `name`, with their CPU seconds so far. */
export async function backendsOf(url: string, name: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1',
      [name],
    );
    return new Map(rows.map((r) => [String(r.pid), cpuSeconds(r.pid)]));
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` and answers what it returned with the CPU seconds the process `pid` and the backends `backends()` lists
 * (read before and after) spent meanwhile.
 */
export async function withCpu<T>(
  pid: number,
  backends: () => Map<string, number> | Promise<Map<string, number>>,
  work: () => Promise<T>,
): Promise<{ value: T; processCpu: number; databaseCpu: number }> {
  const processBefore = cpuSeconds(pid);
  const backendsBefore = await backends();
  const value = await work();
  const processCpu = cpuSeconds(pid) - processBefore;
  const databaseCpu = cpuSince(backendsBefore, await backends());
  return { value, processCpu, databaseCpu };
}
