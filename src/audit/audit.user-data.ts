import { Injectable } from '@nestjs/common';
import { ErasedAccount, ExportedAccount, UserData, UserDataHandler } from '../common/user-data';
import { AuditService } from './audit.service';

/** Recorded under the account they aimed at, though whoever made them need not be its holder. */
const ATTEMPTS_BY_ANYONE = new Set(['user.login_failed']);

/** The audit trail is kept, anonymised: each erased account appears under one pseudonym. */
@UserData({ tables: ['audit_log'] })
@Injectable()
export class AuditUserData implements UserDataHandler {
  constructor(private readonly audit: AuditService) {}

  /**
   * The rows where the user acted, and those others wrote about them (as target, or named in the
   * details, by id or, once proved, by address while the account held it). `byYou` is false for rows another account wrote and
   * for failed sign-ins, which name the account but may have been anyone; another account's IP and
   * user agent are that person's, not the user's, and are left out.
   */
  async export(userId: string, account: ExportedAccount): Promise<Record<string, unknown>> {
    const { email, emailVerified, emailHeldSince: since } = account;
    const rows = await this.audit.about(userId, emailVerified && since ? { email, since } : null);
    return {
      audit: rows.map(({ action, actorId, ip, userAgent, target, details, createdAt }) => {
        const theirs = actorId === userId;
        return {
          action,
          byYou: theirs && !ATTEMPTS_BY_ANYONE.has(action),
          ip: theirs ? ip : null,
          userAgent: theirs ? userAgent : null,
          target,
          details,
          createdAt,
        };
      }),
    };
  }

  erase(accounts: ErasedAccount[]): Promise<void> {
    return this.audit.anonymise(accounts);
  }
}
