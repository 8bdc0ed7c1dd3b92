import type { Database } from '../../db/client.js';
import type { AuditService } from '../audit/service.js';

/** Certificates: ingest, validation, idempotency, revocation and relations (issue 3). */
export class CertificateService {
  constructor(
    readonly database: Database,
    readonly audit: AuditService,
  ) {}
}
