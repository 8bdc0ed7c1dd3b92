import type { Config } from './config.js';
import type { Database } from './db/client.js';
import { PageCursors } from './lib/cursor.js';
import { AuditService } from './modules/audit/service.js';
import { CertificateService } from './modules/certificates/service.js';
import { ConsentService } from './modules/consents/service.js';
import { CoordinationService } from './modules/coordination/service.js';
import { SickLeaveService } from './modules/sick-leaves/service.js';

/** Every module's service, wired once per app; routes reach them through `app.services`. */
export interface Services {
  audit: AuditService;
  certificates: CertificateService;
  consents: ConsentService;
  coordination: CoordinationService;
  sickLeaves: SickLeaveService;
}

export function createServices(
  database: Database,
  config: Readonly<Config>,
  onBackgroundError: (err: unknown) => void = () => {},
): Services {
  const cursors = new PageCursors(config.cursorSecret);
  // The audit list asks the certificates module who owns a unit; that service is made after (it records to audit).
  const audit: AuditService = new AuditService(
    database.db,
    cursors,
    { onError: onBackgroundError },
    {
      assertUnitsOfCareGiver: (actor, unitIds, use): Promise<void> =>
        certificates.assertUnitsOfCareGiver(actor, unitIds, use),
    },
  );
  const certificates: CertificateService = new CertificateService(database, audit);
  const consents = new ConsentService(database, audit, certificates);
  const coordination = new CoordinationService(database, audit, consents, cursors, certificates);
  const sickLeaves = new SickLeaveService(database, audit, certificates, coordination, consents, cursors, {
    cacheEntries: config.sickLeaveCacheEntries,
    cacheCases: config.sickLeaveCacheCases,
  });
  return { audit, certificates, consents, coordination, sickLeaves };
}
