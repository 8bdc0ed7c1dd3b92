import type { Database } from '../../db/client.js';
import type { AuditService } from '../audit/service.js';
import type { CertificateService } from '../certificates/service.js';
import type { CoordinationService } from '../coordination/service.js';

/** Sick-leave cases: the unit overview, its summary and the patient history (issue 4). */
export class SickLeaveService {
  constructor(
    readonly database: Database,
    readonly audit: AuditService,
    readonly certificates: CertificateService,
    readonly coordination: CoordinationService,
  ) {}
}
