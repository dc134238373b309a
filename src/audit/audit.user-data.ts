import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { AuditService } from './audit.service';

/** The audit trail is kept, anonymised: each erased account appears under one pseudonym. */
@UserData({ tables: ['audit_log'] })
@Injectable()
export class AuditUserData implements UserDataHandler {
  constructor(private readonly audit: AuditService) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    const rows = await this.audit.about(userId);
    return {
      audit: rows.map(({ action, actorId, ip, userAgent, target, details, createdAt }) => ({
        action,
        byYou: actorId === userId,
        ip,
        userAgent,
        target,
        details,
        createdAt,
      })),
    };
  }

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.audit.anonymise(accounts);
  }
}
