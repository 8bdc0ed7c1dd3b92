/** The results file: one table per scenario (service and its baselines), ratios, targets, and the machine's load. */
import { loadavg } from 'node:os';
import type { LoadResult } from './load.js';

export interface Row {
  variant: string;
  result: LoadResult;
  /** Certificates stored per second, for the write scenarios. */
  certificatesPerSecond?: number;
  peakRssMb?: number;
  load1: number;
}

export interface Target {
  what: string;
  met: boolean;
}

export interface Section {
  title: string;
  notes: string[];
  rows: Row[];
  ratios: string[];
  targets: Target[];
}

export const load1 = () => loadavg()[0]!;

const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : '–');
const num = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));

export function row(variant: string, result: LoadResult, extra: Partial<Row> = {}): Row {
  return { variant, result, load1: load1(), ...extra };
}

export function sectionMarkdown(s: Section): string {
  const writes = s.rows.some((r) => r.certificatesPerSecond !== undefined);
  const head = [
    'variant',
    'clients',
    'req/s',
    ...(writes ? ['cert/s'] : []),
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'errors',
    'non-2xx',
    'peak RSS MB',
    'CPU busy before',
    'load 1m',
  ];
  const lines = [
    `### ${s.title}`,
    '',
    ...s.notes.map((n) => `${n}  `),
    ...(s.notes.length ? [''] : []),
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...s.rows
      .map((r) =>
        [
          r.variant,
          r.result.connections,
          num(r.result.rps),
          ...(writes ? [r.certificatesPerSecond === undefined ? '–' : num(r.certificatesPerSecond)] : []),
          ms(r.result.p50),
          ms(r.result.p95),
          ms(r.result.p99),
          r.result.errors,
          r.result.non2xx,
          r.peakRssMb === undefined ? '–' : Math.round(r.peakRssMb),
          r.result.busyBefore === undefined ? '–' : `${Math.round(r.result.busyBefore * 100)} %`,
          r.load1.toFixed(2),
        ].join(' | '),
      )
      .map((l) => `| ${l} |`),
  ];
  if (s.ratios.length) lines.push('', ...s.ratios.map((r) => `- ${r}`));
  if (s.targets.length) lines.push('', ...s.targets.map((t) => `- target ${t.met ? 'met' : '**missed**'}: ${t.what}`));
  return `${lines.join('\n')}\n`;
}

export function consoleLine(s: Section): string {
  const service = s.rows[0];
  if (!service) return s.title;
  const r = service.result;
  const rate = service.certificatesPerSecond !== undefined ? `, ${num(service.certificatesPerSecond)} cert/s` : '';
  const missed = s.targets.filter((t) => !t.met).length;
  return (
    `${s.title}: ${num(r.rps)} req/s${rate}, p50 ${ms(r.p50)} / p95 ${ms(r.p95)} / p99 ${ms(r.p99)} ms, ` +
    `${r.errors + r.non2xx} errors${s.ratios.length ? ` — ${s.ratios.join('; ')}` : ''}` +
    `${s.targets.length ? ` — targets: ${s.targets.length - missed}/${s.targets.length} met` : ''}`
  );
}

/** One line per section: the service's figures and the verdicts, for the top of the results file and the README. */
export function summaryTable(sections: Section[]): string {
  const lines = [
    '| scenario | clients | req/s | p50 ms | p95 ms | p99 ms | errors | peak RSS MB | targets |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const s of sections) {
    const service = s.rows[0];
    if (!service) continue;
    const r = service.result;
    const rate = service.certificatesPerSecond !== undefined ? ` (${num(service.certificatesPerSecond)} cert/s)` : '';
    const verdicts = s.targets.map((t) => `${t.met ? '✓' : '✗'} ${t.what}`).join('<br>') || '–';
    lines.push(
      `| ${s.title.replace(/ \(.*?\)(?= —|$)/, '')} | ${r.connections} | ${num(r.rps)}${rate} | ${ms(r.p50)} | ${ms(r.p95)} | ` +
        `${ms(r.p99)} | ${r.errors + r.non2xx} | ${service.peakRssMb === undefined ? '–' : Math.round(service.peakRssMb)} | ${verdicts} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
