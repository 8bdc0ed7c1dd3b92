/**
 * Scans log files for what must never be in a technical log: a personal identity number (any valid personnummer or
 * samordningsnummer in 10- or 12-digit form), a patient name or free text used by the tests.
 * Usage: tsx scripts/check-log-hygiene.ts <file>...; exits 1 and prints the offending lines' numbers when found.
 */
import { readFileSync } from 'node:fs';
import { containsPersonalIdentity } from '../src/domain/personal-identity.js';

/** Names and free text the tests send (fixtures); none may reach a log line. */
export const FORBIDDEN_TEXT = ['Tolvan', 'Tolvansson', 'Testsson', 'Patientsson', 'secret-note', 'journal-ref-'];

/**
 * Ids are UUIDs, whose first two groups (8 digits, 4 digits) can read as a valid personnummer by chance (the service
 * refuses a caller's request id that does, and makes none that does, but row ids are not checked).
 */
const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export function findLeaks(text: string): { line: number; what: string }[] {
  const leaks: { line: number; what: string }[] = [];
  text.split('\n').forEach((line, i) => {
    if (containsPersonalIdentity(line.replace(UUIDS, 'uuid')))
      leaks.push({ line: i + 1, what: 'personal identity number' });
    for (const word of FORBIDDEN_TEXT) if (line.includes(word)) leaks.push({ line: i + 1, what: `"${word}"` });
  });
  return leaks;
}

const files = process.argv.slice(2);
if (files.length > 0) {
  let lines = 0;
  let leaks = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    lines += text.split('\n').length - 1;
    for (const leak of findLeaks(text)) {
      leaks += 1;
      if (leaks <= 20) process.stderr.write(`${file}:${leak.line}: ${leak.what}\n`);
    }
  }
  process.stdout.write(`log hygiene: ${lines} log lines scanned, ${leaks} leaks\n`);
  if (lines === 0) {
    process.stderr.write('no log lines: was TEST_LOG_FILE set for the test run?\n');
    process.exit(1);
  }
  process.exit(leaks > 0 ? 1 : 0);
}
