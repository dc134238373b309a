import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { UsersService } from '../users/users.service';
import { emailDomain } from './domains';
import type { SsoIdentity } from './sso.entity';
import { IdentityWithDomain, SsoRepository, UnlinkedIdentity } from './sso.repository';

type Actor = { id: string | null; email: string | null };

/** Why an identity no longer signs its account in. */
export type UnlinkReason = 'address_changed' | 'password_reset' | 'provider_deleted' | 'address_outside_domain';

/**
 * The identities providers assert (a provider and its name for the person), tied to the accounts
 * they sign in, and their unlinking whenever they may no longer vouch for the account: each one
 * unlinked unties the account from the provider and is audited.
 */
@Injectable()
export class SsoIdentitiesService {
  constructor(
    private readonly clock: Clock,
    private readonly repository: SsoRepository,
    private readonly users: UsersService,
    private readonly audit: AuditService,
  ) {}

  find(providerId: string, nameId: string): Promise<SsoIdentity | null> {
    return this.repository.findIdentity(providerId, nameId);
  }

  /** The account's identities at providers, with each provider's domain, oldest first. */
  identitiesOf(userId: string): Promise<IdentityWithDomain[]> {
    return this.repository.identitiesOf(userId);
  }

  /** Ties a NameID at the provider to a user; false when the provider already knows the NameID. */
  link(providerId: string, nameId: string, userId: string): Promise<boolean> {
    const now = this.clock.now();
    return this.repository.insertIdentity({ providerId, nameId, userId, createdAt: now, lastLoginAt: now });
  }

  touch(providerId: string, nameId: string): Promise<void> {
    return this.repository.touchIdentity(providerId, nameId, this.clock.now());
  }

  /**
   * The account's address changed: its identities at providers of any other domain stop signing it
   * in (an identity vouches for an address of its provider's domain, not for whoever holds the
   * account later).
   */
  async unlinkOutsideAddress(userId: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) return;
    const unlinked = await this.repository.deleteIdentitiesOutside(userId, emailDomain(user.email) ?? null);
    await this.recordUnlinked(unlinked, 'address_changed', user);
  }

  /**
   * The account's password was reset by mail: whoever holds the mailbox holds the account now, and
   * no identity linked before signs it in any more.
   */
  async unlinkAll(userId: string, reason: UnlinkReason, actor: Actor): Promise<void> {
    await this.recordUnlinked(await this.repository.deleteIdentitiesOutside(userId, null), reason, actor);
  }

  /** The providers are going: every identity at them goes first. */
  async unlinkAllAt(providerIds: string[], actor: Actor): Promise<void> {
    await this.recordUnlinked(await this.repository.deleteIdentitiesAt(providerIds), 'provider_deleted', actor);
  }

  /** One identity found tied to an account it may no longer sign in, removed. */
  async unlink(identity: UnlinkedIdentity, reason: UnlinkReason): Promise<void> {
    if (!(await this.repository.deleteIdentity(identity.providerId, identity.nameId))) return;
    await this.recordUnlinked([identity], reason, { id: null, email: null });
  }

  /** Unties the accounts from the providers whose identities went, and audits each identity. */
  private async recordUnlinked(unlinked: UnlinkedIdentity[], reason: UnlinkReason, actor: Actor): Promise<void> {
    for (const identity of unlinked) {
      await this.users.untieFromSsoProviders(identity.userId, [identity.providerId]);
      await this.audit.record({
        action: 'sso.identity_unlinked',
        actor,
        target: `user:${identity.userId}`,
        details: { userId: identity.userId, providerId: identity.providerId, reason },
      });
    }
  }
}
