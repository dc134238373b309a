import { Injectable } from '@nestjs/common';
import { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { AuditDetails, AuditEntry } from './audit-entry.entity';
import { AuditFilter, AuditRepository } from './audit.repository';

export type { AuditFilter };

export type AuditAction =
  | 'user.signup'
  | 'user.login'
  | 'user.login_failed'
  | 'user.logout'
  | 'user.profile_updated'
  | 'user.password_reset_requested'
  | 'user.password_reset'
  | 'user.email_verified'
  | 'user.email_changed'
  | 'user.email_change_reverted'
  | 'user.deleted_unverified'
  | 'user.step_up'
  | 'user.password_changed'
  | 'user.password_removed'
  | 'user.email_sign_in_requested'
  | 'user.email_sign_in'
  | 'user.unverified_account_claimed'
  | 'user.email_confirmation_requested'
  | 'session.revoked'
  | 'session.revoked_all_others'
  | 'user.step_up_failed'
  | 'user.two_factor_enabled'
  | 'user.two_factor_disabled'
  | 'user.recovery_codes_regenerated'
  | 'passkey.added'
  | 'passkey.renamed'
  | 'passkey.removed'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'api_key.revoked_all'
  | 'org.created'
  | 'org.member_added'
  | 'org.role_changed'
  | 'org.member_removed'
  | 'org.ownership_transferred'
  | 'org.invitation_sent'
  | 'org.invitation_revoked'
  | 'org.renamed'
  | 'org.policy_changed'
  | 'org.deleted'
  | 'user.deletion_scheduled'
  | 'user.deletion_cancelled'
  | 'user.deleted'
  | 'sso.provider_saved'
  | 'sso.provider_deleted'
  | 'sso.domain_verified'
  | 'sso.login'
  | 'sso.user_provisioned'
  | 'sso.role_changed'
  | 'sso.break_glass_login'
  | 'sso.identity_unlinked'
  | 'sso.enforced_sign_out'
  | 'admin_key.created'
  | 'admin_key.revoked'
  | 'admin.request'
  | 'admin.request_refused'
  | 'user.locked'
  | 'user.unlocked'
  | 'session.revoked_all'
  | 'user.erased_by_operator'
  | 'webhook.endpoint_created'
  | 'webhook.endpoint_deleted'
  | 'webhook.test_sent'
  | 'signing_key.rotated'
  | 'scim.token_created'
  | 'scim.token_revoked'
  | 'scim.user_provisioned'
  | 'scim.user_updated'
  | 'scim.user_suspended'
  | 'scim.user_reactivated'
  | 'scim.user_deprovisioned'
  | 'scim.member_added'
  | 'scim.role_changed'
  | 'scim.group_created'
  | 'scim.group_updated'
  | 'scim.group_deleted';

/**
 * An operator acting through an admin key. Such a row names no account as actor (`actorId` null); the
 * key's id is in its details as `adminKeyId`.
 */
export interface AdminActor {
  adminKeyId: string;
}

/**
 * A user named in `details` is named under the key `userId` (their id) or `email` (their address),
 * so their erasure finds and anonymises the row.
 */
export interface AuditEvent {
  action: AuditAction;
  actor: { id: string | null; email: string | null } | AdminActor;
  client?: ClientInfo;
  target?: string;
  details?: AuditDetails;
}

/** Security events, written in the caller's transaction so a rolled-back change leaves no record. */
@Injectable()
export class AuditService {
  constructor(
    private readonly entries: AuditRepository,
    private readonly clock: Clock,
  ) {}

  async record(event: AuditEvent): Promise<void> {
    await this.recordMany([event]);
  }

  /** The log for operators, newest first: at most `limit` rows strictly older than row `beforeId`. */
  search(filter: AuditFilter & { beforeId?: string; limit: number }): Promise<AuditEntry[]> {
    return this.entries.search(filter);
  }

  /** The rows where the user acted or was acted upon (for the export). */
  about(userId: string, address: { email: string; since: Date } | null): Promise<AuditEntry[]> {
    return this.entries.about(userId, address);
  }

  /** Keeps the rows but replaces whatever names these accounts by their pseudonyms. */
  anonymise(accounts: Array<{ id: string; email: string; pseudonym: string; addressHashes: Buffer[] }>): Promise<void> {
    return this.entries.anonymise(accounts);
  }

  async recordMany(events: AuditEvent[]): Promise<void> {
    if (events.length === 0) return;
    const createdAt = this.clock.now();
    await this.entries.append(
      events.map(({ actor, ...event }) => ({
        action: event.action,
        actorId: 'adminKeyId' in actor ? null : actor.id,
        // Cut to the columns' sizes: an audit row must never fail the change it records.
        actorEmail: 'adminKeyId' in actor ? null : (actor.email?.slice(0, 320) ?? null),
        ip: event.client?.ip.slice(0, 45) ?? null,
        userAgent: event.client?.userAgent.slice(0, 512) ?? null,
        target: event.target?.slice(0, 200) ?? null,
        details: 'adminKeyId' in actor ? { ...event.details, adminKeyId: actor.adminKeyId } : (event.details ?? null),
        createdAt,
      })),
    );
  }
}
