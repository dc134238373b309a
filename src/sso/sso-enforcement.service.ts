import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { OutboxService } from '../mail/outbox.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { SessionsService } from '../sessions/sessions.service';
import { UsersService } from '../users/users.service';
import { emailDomain } from './domains';
import { ssoLoginPath } from './connection-urls';
import type { SsoConnection } from './sso.entity';
import { SsoRepository } from './sso.repository';

export type Discovery = { sso: false } | { sso: true; loginUrl: string };

/**
 * Whether a password may be used for an address: always, unless its domain is verified and
 * enforced; then only by an owner of the provider's own organization (break-glass), who is
 * recorded with recordBreakGlassLogin once the password proved right.
 */
export type PasswordPermit = { breakGlass: false } | { breakGlass: true; providerId: string; orgId: string };

/**
 * Which provider an address signs in at (its verified domain's), and SSO enforced over passwords for
 * such a domain: refused to sign in, sign up, reset or confirm with, and taken from those who hold
 * what passwords gave them once enforcement begins. The owners of the provider's organization keep
 * their password (break-glass) while they stay owners.
 */
@Injectable()
export class SsoEnforcementService {
  constructor(
    private readonly config: AppConfig,
    private readonly repository: SsoRepository,
    private readonly organizations: OrganizationsService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  /** Where an address signs in: its domain's provider once the domain is verified. */
  async discover(email: string): Promise<Discovery> {
    const provider = await this.verifiedProviderFor(email);
    return provider ? { sso: true, loginUrl: this.loginUrl(provider) } : { sso: false };
  }

  /**
   * 403 sso_required (with loginUrl) when the address's domain is verified and enforced. With
   * `breakGlassUserId` (a password login by that account), an owner of the provider's own
   * organization passes, answered `breakGlass: true`; signup and reset never pass.
   */
  async assertPasswordAllowed(
    email: string,
    options: { breakGlassUserId?: string | null } = {},
  ): Promise<PasswordPermit> {
    const provider = await this.verifiedProviderFor(email);
    if (!provider?.enforce) return { breakGlass: false };
    if (options.breakGlassUserId) {
      const role = await this.organizations.roleIn(provider.orgId, options.breakGlassUserId);
      if (role === 'owner') return { breakGlass: true, providerId: provider.id, orgId: provider.orgId };
    }
    throw new DomainError('sso_required', { loginUrl: this.loginUrl(provider) });
  }

  /** The provider enforced on the account's address, unless the account owns its organization (break-glass). */
  async enforcedProviderFor(holder: { id: string; email: string }): Promise<string | null> {
    const provider = await this.verifiedProviderFor(holder.email);
    if (!provider?.enforce) return null;
    return (await this.organizations.roleIn(provider.orgId, holder.id)) === 'owner' ? null : provider.id;
  }

  /**
   * An account its SSO provider signed in stays at an address of an enforced domain: moving out
   * would let it set a password and leave the organization's control (403 sso_required).
   */
  async assertAddressKept(holder: { email: string; ssoProviderId: string | null }, newEmail: string): Promise<void> {
    if (!holder.ssoProviderId) return;
    const provider = await this.verifiedProviderFor(holder.email);
    if (!provider?.enforce || emailDomain(newEmail) === provider.domain) return;
    throw new DomainError('sso_required', { loginUrl: this.loginUrl(provider) });
  }

  /** Audits an owner's password sign-in past enforcement, in the caller's transaction. */
  async recordBreakGlassLogin(
    actor: { id: string; email: string },
    permit: PasswordPermit,
    client: ClientInfo,
    sessionId: string,
  ): Promise<void> {
    if (!permit.breakGlass) return;
    await this.audit.record({
      action: 'sso.break_glass_login',
      actor,
      client,
      target: `session:${sessionId}`,
      details: { providerId: permit.providerId, orgId: permit.orgId },
    });
  }

  /**
   * SSO became the only way in for the domain: every account with an address there, but the
   * organization's owners (who keep a break-glass password), loses the sessions it signed in with a
   * password, a passkey or a mailed link (none of which the domain accepts now) and its API keys,
   * each audited and told by mail. Accounts that are not members yet are included: they could
   * otherwise join the organization later with what they hold.
   */
  async enforcementBegan(provider: SsoConnection, client: ClientInfo): Promise<void> {
    const org = await this.organizations.membersFor(provider.orgId);
    if (!org) return;
    const owners = new Set(org.members.filter((m) => m.role === 'owner').map((m) => m.userId));
    for (const account of await this.users.findByEmailDomain(provider.domain)) {
      if (!owners.has(account.id)) await this.cutPasswordAccess(provider, org.name, account, client);
    }
  }

  /**
   * An owner who steps down (or is removed) in an organization whose verified domain is enforced
   * loses the break-glass: what they hold from passwords goes, as it went for the others.
   */
  async ownerSteppedDown(userId: string, orgId: string, client?: ClientInfo): Promise<void> {
    const provider = await this.repository.findProviderOfOrg(orgId);
    if (!provider?.enforce || !provider.domainVerifiedAt) return;
    const account = await this.users.findById(userId);
    if (!account || emailDomain(account.email) !== provider.domain) return;
    if ((await this.organizations.roleIn(orgId, userId)) === 'owner') return;
    await this.cutPasswordAccess(provider, (await this.organizations.nameOf(orgId)) ?? '', account, client);
  }

  private async cutPasswordAccess(
    provider: SsoConnection,
    orgName: string,
    user: { id: string; email: string },
    client?: ClientInfo,
  ): Promise<void> {
    const sessions = await this.sessions.revokePasswordSessions(user.id);
    const apiKeys = await this.apiKeys.revokeAll(user, 'sso_enforced', client);
    if (sessions === 0 && apiKeys === 0) return;
    await this.audit.record({
      action: 'sso.enforced_sign_out',
      actor: { id: null, email: null },
      client,
      target: `user:${user.id}`,
      details: { userId: user.id, providerId: provider.id, sessions, apiKeys },
    });
    await this.outbox.enqueue(user.email, 'sso-enforced', {
      orgName,
      domain: provider.domain,
      loginUrl: this.loginUrl(provider),
    });
  }

  /** The provider of the address's domain, if that domain is verified. */
  private async verifiedProviderFor(email: string): Promise<SsoConnection | undefined> {
    const domain = emailDomain(email);
    if (!domain) return undefined;
    return (await this.repository.findVerifiedProviderByDomain(domain)) ?? undefined;
  }

  /** Where the provider's people start signing in, at the route of its protocol. */
  private loginUrl(provider: Pick<SsoConnection, 'id' | 'protocol'>): string {
    return `${this.config.appUrl}${ssoLoginPath(provider)}`;
  }

  /** The login path of the connection (for a step-up's ssoUrl); null for an unknown id. */
  async loginPathOf(providerId: string): Promise<string | null> {
    const provider = await this.repository.findConnection(providerId);
    return provider ? ssoLoginPath(provider) : null;
  }

  /** The organization the connection belongs to; null when there is no such connection (any more). */
  async organizationOf(providerId: string): Promise<string | null> {
    return (await this.repository.findConnection(providerId))?.orgId ?? null;
  }
}
