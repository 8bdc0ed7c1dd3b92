import type { Database } from '../../db/client.js';
import type { AuditService } from '../audit/service.js';

/** Consents: record, revoke, void and check (issue 5). */
export class ConsentService {
  constructor(
    readonly database: Database,
    readonly audit: AuditService,
  ) {}
}
