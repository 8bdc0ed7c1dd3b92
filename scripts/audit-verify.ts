/**
 * Verifies the audit trail's hash chains in the database the service is configured with (DATABASE_URL, or DATA_DIR
 * while the service is stopped), optionally against chain heads the service logged earlier:
 *   npm run -s audit:verify -- [--care-giver <hsa-id>] [--anchors <log file> …]
 * Prints one JSON line per care giver and exits 1 when any chain does not hold, or cannot go on (sealingFailure);
 * 2 when it cannot run or would verify nothing asked for (a --care-giver with no events and no chain, an --anchors
 * file without an anchor line).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase, queryRows } from '../src/db/client.js';
import { sql } from 'drizzle-orm';
import { describeError } from '../src/lib/errors.js';
import { PageCursors } from '../src/lib/cursor.js';
import { anchorsInLog } from '../src/modules/audit/anchors.js';
import type { ChainAnchor } from '../src/modules/audit/chain.js';
import { AuditService } from '../src/modules/audit/service.js';

const USAGE = `Verifies the audit trail's hash chains (exit 1 when one does not hold or cannot go on; 2 when it
cannot run, or the care giver or anchor file given has nothing to verify).

  npm run -s audit:verify -- [options]

  --care-giver <hsa-id>  only this care giver's chain (default: every care giver with events)
  --anchors <file>       a log of the service: its "audit chain heads" lines must still match; repeat for several
  --help                 this text
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'care-giver': { type: 'string' },
      anchors: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const anchors = new Map<string, ChainAnchor[]>();
  for (const file of values.anchors ?? []) {
    const found = anchorsInLog(readFileSync(file, 'utf8'));
    // A file with none (another log, a rotated-away one) verified nothing and said valid, as if it had.
    if (found.size === 0)
      throw new NothingVerified(`${file} holds no "audit chain heads" line: is it the service's log?`);
    for (const [careGiverId, list] of found) {
      anchors.set(careGiverId, [...(anchors.get(careGiverId) ?? []), ...list]);
    }
  }
  const config = loadConfig();
  // A mistyped DATA_DIR would otherwise be created, empty, and verified as having no audit trail at all.
  // Nor an existing directory that holds no database (an empty one would be made one).
  if (!config.database.url && !existsSync(path.join(config.database.dataDir, 'PG_VERSION'))) {
    throw new Error(`DATA_DIR ${config.database.dataDir} holds no embedded database (and DATABASE_URL is not set)`);
  }
  const database = await openDatabase({ ...config.database, poolMax: 2 });
  try {
    const audit = new AuditService(database.db, new PageCursors(config.cursorSecret));
    // Every care giver with events, and every one an anchor names (its events may all be gone).
    const careGivers = values['care-giver']
      ? [values['care-giver']]
      : [
          ...new Set([
            ...(
              await queryRows<{ id: string }>(
                database.db,
                sql`select distinct care_giver_id as id from audit_events order by 1`,
              )
            ).map((r) => r.id),
            ...anchors.keys(),
          ]),
        ].sort();
    let failed = 0;
    let stuck = 0;
    for (const careGiverId of careGivers) {
      const given = anchors.get(careGiverId) ?? [];
      // A chain that cannot even be sealed or read (its state tampered with) is a verdict too, not a crash.
      const result = await audit
        .verify(careGiverId, { anchors: given })
        .catch((err) => ({ valid: false, error: describeError(err) }));
      if (!result.valid) failed += 1;
      // What it sealed may hold, but its later events are not protected until a pass can seal them.
      if ('sealingFailure' in result && result.sealingFailure) stuck += 1;
      process.stdout.write(`${JSON.stringify({ careGiverId, ...result, anchors: given.length })}\n`);
      // A care giver asked for by name with no events, no chain and no anchor: nothing was verified (a mistyped
      // HSA-id read as a chain that holds).
      if (values['care-giver'] && result.valid && 'checked' in result && result.checked === 0 && given.length === 0) {
        const head = await audit.chainHeads().then((heads) => heads.find((h) => h.careGiverId === careGiverId));
        if (!head)
          throw new NothingVerified(`care giver ${careGiverId} has no audit events and no chain: nothing to verify`);
      }
    }
    process.stderr.write(`${careGivers.length} chains verified, ${failed} do not hold, ${stuck} cannot go on\n`);
    return failed + stuck > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}

/** The command was asked to verify something that is not there: exit 2 with why, never "valid". */
class NothingVerified extends Error {}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(
      err instanceof ConfigError ? `${err.message}\n` : `audit:verify failed: ${describeError(err)}\n`,
    );
    process.exit(2);
  },
);
