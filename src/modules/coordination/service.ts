import type { Database } from '../../db/client.js';
import type { AuditService } from '../audit/service.js';
import type { ConsentService } from '../consents/service.js';

/** Coordination efforts and the coordinator status of a patient's case (issue 5). */
export class CoordinationService {
  constructor(
    readonly database: Database,
    readonly audit: AuditService,
    readonly consents: ConsentService,
  ) {}
}
