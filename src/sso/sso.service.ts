import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { DomainEvents } from '../common/domain-events';
import { DomainError, ValidationDetail, validationFailed } from '../common/errors';
import { AppConfig } from '../config';
import { Transactional, TransactionHost } from '../database/transactions';
import { ORG_ROLES, OrganizationsService } from '../organizations/organizations.service';
import type { OrgRole } from '../organizations/organizations.service';
import { UsersService } from '../users/users.service';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { SessionsService } from '../sessions/sessions.service';
import { OutboxService } from '../mail/outbox.service';
import { DnsTxt } from './dns-txt';
import { emailDomain, isPublicMailDomain, normaliseDomain } from './domains';
import { normalizeCertificatePem, parseIdpMetadata, SamlConfigError } from './saml';
import { SamlProvider, SamlRequest, SsoIdentity } from './sso.entity';
import { NewSamlRequest, ProviderSettings, SsoRepository, UnlinkedIdentity } from './sso.repository';
import { spMetadataXml, SsoUrls, ssoUrls } from './sp-metadata';

type Actor = { id: string; email: string };

/** PUT /orgs/:id/sso/saml as the service reads it: the IdP either field by field or as metadata. */
export interface ProviderInput {
  domain: string;
  idpEntityId?: string;
  idpSsoUrl?: string;
  /** PEM, or PEMs while the IdP rolls its key over. */
  idpCert?: string | string[];
  idpMetadataXml?: string;
  groupsAttribute?: string | null;
  groupRoleMap?: Record<string, unknown>;
  defaultRole?: OrgRole;
  enforce?: boolean;
  requireSignedResponse?: boolean;
}

/** The DNS record that proves an organization controls its domain. */
export interface DomainVerificationRecord {
  type: 'TXT';
  name: string;
  value: string;
}

export type Discovery = { sso: false } | { sso: true; loginUrl: string };

/**
 * Whether a password may be used for an address: always, unless its domain is verified and
 * enforced; then only by an owner of the provider's own organization (break-glass), who is
 * recorded with recordBreakGlassLogin once the password proved right.
 */
export type PasswordPermit = { breakGlass: false } | { breakGlass: true; providerId: string; orgId: string };

/** Why an identity no longer signs its account in. */
export type UnlinkReason = 'address_changed' | 'password_reset' | 'provider_deleted' | 'address_outside_domain';

const MAX_CERTS = 5;
const MAX_GROUPS = 200;
/** The TXT record's name is `_auth-verification.<domain>`, its value `auth-verification=<token>`. */
const VERIFICATION_PREFIX = 'auth-verification';

/**
 * SAML providers as organizations configure them, domain verification, discovery and the
 * enforcement of SSO over passwords. The SAML exchange itself (login, ACS) builds on the provider
 * and the identity, request and assertion records this service keeps.
 */
@Injectable()
export class SsoService {
  private readonly logger = new Logger('Sso');

  constructor(
    private readonly txHost: TransactionHost,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly repository: SsoRepository,
    private readonly organizations: OrganizationsService,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
    private readonly dns: DnsTxt,
    private readonly users: UsersService,
    private readonly outbox: OutboxService,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
  ) {}

  // ---- configuration (organization owners and admins) ----

  /** The organization's provider, for its owners and admins; not_found when it has none. */
  async getForOrg(actor: Actor, orgId: string): Promise<SamlProvider> {
    await this.organizations.requireRole(orgId, actor.id, ['owner', 'admin']);
    return this.providerOfOrg(orgId);
  }

  /**
   * Creates or replaces the organization's provider (owners only). Every problem with the input is
   * answered at once in validation_failed. A new domain starts unverified with a new token.
   */
  @Transactional()
  async save(actor: Actor, orgId: string, input: ProviderInput, client: ClientInfo): Promise<SamlProvider> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    const settings = this.settingsFrom(orgId, input);
    // An unverified claim reserves nothing; a verified one holds the domain.
    const holder = await this.repository.findVerifiedProviderByDomain(settings.domain);
    if (holder && holder.orgId !== orgId) throw domainTaken();
    const before = await this.repository.findProviderOfOrg(orgId);
    const saved = await this.repository.saveProvider(settings, randomBytes(24).toString('base64url'), this.clock.now());
    if (!saved) throw domainTaken();
    const { provider, created } = saved;
    const enforcedBefore = !!before?.enforce && !!before.domainVerifiedAt && before.domain === provider.domain;
    if (provider.enforce && provider.domainVerifiedAt && !enforcedBefore) {
      await this.endPasswordAccess(provider, client);
    }
    await this.audit.record({
      action: 'sso.provider_saved',
      actor,
      client,
      target: `org:${orgId}`,
      details: {
        providerId: provider.id,
        created,
        domain: provider.domain,
        domainVerified: provider.domainVerifiedAt !== null,
        idpEntityId: provider.idpEntityId,
        enforce: provider.enforce,
      },
    });
    return provider;
  }

  /**
   * Looks the TXT record up (outside any transaction: DNS may take seconds) and marks the domain
   * verified when it holds the token. Absent, different, unanswered: all domain_not_verified, the
   * reason logged.
   */
  async verifyDomain(actor: Actor, orgId: string, client: ClientInfo): Promise<SamlProvider> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    const provider = await this.providerOfOrg(orgId);
    if (provider.domainVerifiedAt) return provider;
    const holder = await this.repository.findVerifiedProviderByDomain(provider.domain);
    if (holder) throw verifiedElsewhere();
    const record = this.verificationRecord(provider);
    if (!(await this.recordPublished(record, provider))) throw new DomainError('domain_not_verified');
    return this.txHost.withTransaction(async () => {
      const verified = await this.repository.markDomainVerified(
        provider.id,
        provider.domain,
        provider.verificationToken,
        this.clock.now(),
      );
      // Another organization proved the domain while DNS was asked.
      if (verified === 'verified_elsewhere') throw verifiedElsewhere();
      // The domain changed while DNS was asked: the record proved the old one.
      if (!verified) throw new DomainError('domain_not_verified');
      await this.mailOtherClaimants(verified);
      // `enforce: true` saved before the domain was proved takes effect now.
      if (verified.enforce) await this.endPasswordAccess(verified, client);
      await this.audit.record({
        action: 'sso.domain_verified',
        actor,
        client,
        target: `org:${orgId}`,
        details: { providerId: provider.id, domain: provider.domain },
      });
      return verified;
    });
  }

  /**
   * Removes the organization's provider (owners only). The accounts it signed in stay: they lose
   * their tie to it (sso.provider_removed) and their identities at it.
   */
  @Transactional()
  async remove(actor: Actor, orgId: string, client: ClientInfo): Promise<void> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    const provider = await this.repository.findProviderOfOrg(orgId);
    if (!provider) throw new DomainError('not_found');
    await this.recordUnlinked(await this.repository.deleteIdentitiesAt([provider.id]), 'provider_deleted', actor);
    const removed = await this.repository.deleteProviderOfOrg(orgId);
    if (!removed) throw new DomainError('not_found');
    await this.events.emit('sso.provider_removed', { providerId: removed.id });
    await this.audit.record({
      action: 'sso.provider_deleted',
      actor,
      client,
      target: `org:${orgId}`,
      details: { providerId: removed.id, domain: removed.domain },
    });
  }

  /**
   * Removes the providers of organizations being deleted (their cascade would take the rows but
   * leave the accounts tied to a provider that is gone): each one's accounts are untied
   * (sso.provider_removed), and the removal is audited.
   */
  async removeProvidersOfOrgs(orgIds: string[]): Promise<void> {
    const providers = await Promise.all(orgIds.map((orgId) => this.repository.findProviderOfOrg(orgId)));
    const providerIds = providers.flatMap((provider) => (provider ? [provider.id] : []));
    const system = { id: null, email: null };
    await this.recordUnlinked(await this.repository.deleteIdentitiesAt(providerIds), 'provider_deleted', system);
    for (const removed of await this.repository.deleteProvidersOfOrgs(orgIds)) {
      await this.events.emit('sso.provider_removed', { providerId: removed.id });
      await this.audit.record({
        action: 'sso.provider_deleted',
        actor: { id: null, email: null },
        target: `org:${removed.orgId}`,
        details: { providerId: removed.id, domain: removed.domain, reason: 'organization_deleted' },
      });
    }
  }

  /** The addresses of the provider's SP side (entity id, metadata, ACS, login). */
  urls(providerId: string): SsoUrls {
    return ssoUrls(this.config.appUrl, providerId);
  }

  verificationRecord(provider: Pick<SamlProvider, 'domain' | 'verificationToken'>): DomainVerificationRecord {
    return {
      type: 'TXT',
      name: `_${VERIFICATION_PREFIX}.${provider.domain}`,
      value: `${VERIFICATION_PREFIX}=${provider.verificationToken}`,
    };
  }

  // ---- public: discovery and SP metadata ----

  /** Where an address signs in: its domain's provider once the domain is verified. */
  async discover(email: string): Promise<Discovery> {
    const provider = await this.verifiedProviderFor(email);
    return provider ? { sso: true, loginUrl: this.urls(provider.id).loginUrl } : { sso: false };
  }

  /** The SP metadata XML for one provider; not_found for an unknown one. */
  async spMetadata(providerId: string): Promise<string> {
    const provider = await this.findProvider(providerId);
    if (!provider) throw new DomainError('not_found');
    const urls = this.urls(provider.id);
    return spMetadataXml({ entityId: urls.spEntityId, acsUrl: urls.acsUrl, signingCert: this.config.samlSp?.cert });
  }

  // ---- enforcement (used by auth for login, signup and password reset) ----

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
    throw new DomainError('sso_required', { loginUrl: this.urls(provider.id).loginUrl });
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
    throw new DomainError('sso_required', { loginUrl: this.urls(provider.id).loginUrl });
  }

  /** Audits an owner's password sign-in past enforcement, in the caller's transaction. */
  async recordBreakGlassLogin(
    actor: Actor,
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

  // ---- for the SAML exchange (login, ACS) ----

  /** A provider by id (verified or not: an unverified one can be tested). */
  findProvider(id: string): Promise<SamlProvider | null> {
    return this.repository.findProvider(id);
  }

  /** The provider of the address's domain, if that domain is verified. */
  async verifiedProviderFor(email: string): Promise<SamlProvider | undefined> {
    const domain = emailDomain(email);
    if (!domain) return undefined;
    return (await this.repository.findVerifiedProviderByDomain(domain)) ?? undefined;
  }

  findIdentity(providerId: string, nameId: string): Promise<SsoIdentity | null> {
    return this.repository.findIdentity(providerId, nameId);
  }

  /** Ties a NameID at the provider to a user; false when the provider already knows the NameID. */
  linkIdentity(providerId: string, nameId: string, userId: string): Promise<boolean> {
    const now = this.clock.now();
    return this.repository.insertIdentity({ providerId, nameId, userId, createdAt: now, lastLoginAt: now });
  }

  touchIdentity(providerId: string, nameId: string): Promise<void> {
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

  /** One identity found tied to an account it may no longer sign in, removed. */
  async unlinkIdentity(identity: UnlinkedIdentity, reason: UnlinkReason): Promise<void> {
    if (!(await this.repository.deleteIdentity(identity.providerId, identity.nameId))) return;
    await this.recordUnlinked([identity], reason, { id: null, email: null });
  }

  /**
   * Stores an AuthnRequest in flight (its id, the hash of the browser-binding cookie, where to go
   * after); false when the provider already has one with this id.
   */
  storeRequest(request: NewSamlRequest): Promise<boolean> {
    return this.repository.insertRequest(request);
  }

  /** The request if it is still valid; not consumed. */
  findRequest(providerId: string, requestId: string): Promise<SamlRequest | undefined> {
    return this.repository.findRequest(providerId, requestId, this.clock.now());
  }

  /** Removes the request, answering it if it was still valid: a Response answers its request once. */
  consumeRequest(providerId: string, requestId: string): Promise<SamlRequest | undefined> {
    return this.repository.consumeRequest(providerId, requestId, this.clock.now());
  }

  /** True the first time an assertion id is seen (until `expiresAt`), false for a replay. */
  recordAssertion(providerId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    return this.repository.recordAssertion(providerId, assertionId, expiresAt);
  }

  /** Forgets requests and assertion ids past their expiry. */
  purgeExpired(): Promise<{ requests: number; assertions: number }> {
    return this.repository.deleteExpired(this.clock.now());
  }

  // ---- internals ----

  /**
   * SSO became the only way in for the domain: every account with an address there, but the
   * organization's owners (who keep a break-glass password), loses the sessions it signed in with a
   * password and its API keys, each audited and told by mail. Accounts that are not members yet are
   * included: they could otherwise join the organization later with what they hold.
   */
  private async endPasswordAccess(provider: SamlProvider, client: ClientInfo): Promise<void> {
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
    provider: SamlProvider,
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
    const loginUrl = this.urls(provider.id).loginUrl;
    await this.outbox.enqueue(user.email, 'sso-enforced', { orgName, domain: provider.domain, loginUrl });
  }

  /** Tells the owners of the organizations whose claims of the domain can no longer be verified. */
  private async mailOtherClaimants(verified: SamlProvider): Promise<void> {
    for (const claim of await this.repository.findUnverifiedClaims(verified.domain)) {
      const org = await this.organizations.membersFor(claim.orgId);
      for (const owner of org?.members.filter((member) => member.role === 'owner') ?? []) {
        await this.outbox.enqueue(owner.email, 'sso-domain-taken', { orgName: org!.name, domain: verified.domain });
      }
    }
  }

  /** Unties the accounts from the providers whose identities went, and audits each identity. */
  private async recordUnlinked(
    unlinked: UnlinkedIdentity[],
    reason: UnlinkReason,
    actor: { id: string | null; email: string | null },
  ): Promise<void> {
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

  private async providerOfOrg(orgId: string): Promise<SamlProvider> {
    const provider = await this.repository.findProviderOfOrg(orgId);
    if (!provider) throw new DomainError('not_found');
    return provider;
  }

  private async recordPublished(record: DomainVerificationRecord, provider: SamlProvider): Promise<boolean> {
    let values: string[];
    try {
      values = await this.dns.lookup(record.name);
    } catch (error) {
      // Not under `code`: the logger redacts that field everywhere (it names one-time codes elsewhere).
      const dnsError = (error as { code?: string }).code ?? 'unknown';
      this.logger.log({
        msg: 'domain verification: no TXT record',
        providerId: provider.id,
        name: record.name,
        dnsError,
      });
      return false;
    }
    if (values.some((value) => value.trim() === record.value)) return true;
    this.logger.log({
      msg: 'domain verification: TXT records found, none with the token',
      providerId: provider.id,
      name: record.name,
      records: values.length,
    });
    return false;
  }

  /**
   * The body of PUT with what its DTO found wrong (`bodyProblems`, fields whose type or value the body
   * checks refused): answers validation_failed naming those and every field the service's own checks
   * refuse, so that one answer lists them all. Throws always.
   */
  refuseSettings(
    orgId: string,
    input: Partial<Record<keyof ProviderInput, unknown>>,
    bodyProblems: ValidationDetail[],
  ): never {
    this.settingsFrom(orgId, input as ProviderInput, bodyProblems);
    throw validationFailed(bodyProblems);
  }

  /**
   * The input checked and brought to the stored form; validation_failed naming every bad field. A
   * field the body checks refused already (in `bodyProblems`) is not checked again: it may not even
   * have the type the checks here expect.
   */
  private settingsFrom(orgId: string, input: ProviderInput, bodyProblems: ValidationDetail[] = []): ProviderSettings {
    const problems: ValidationDetail[] = [...bodyProblems];
    const problem = (field: string, message: string) => problems.push({ field, problems: [message] });
    const refused = new Set(bodyProblems.map((detail) => detail.field.split(/[.[]/)[0]));
    const usable = (field: keyof ProviderInput) => !refused.has(field);

    const domain = usable('domain') ? normaliseDomain(input.domain) : null;
    if (!usable('domain')) {
      // Reported by the body checks.
    } else if (!domain) problem('domain', 'must be a domain name such as example.com');
    else if (isPublicMailDomain(domain))
      problem('domain', 'is a public mail domain; claim a domain your organization owns');

    let idp: { entityId?: string; ssoUrl?: string; certs: string[] } = { certs: [] };
    const fieldByField = ['idpEntityId', 'idpSsoUrl', 'idpCert'] as const;
    if (input.idpMetadataXml !== undefined) {
      const mixed = fieldByField.filter((field) => input[field] !== undefined);
      if (mixed.length > 0) {
        for (const field of mixed) problem(field, 'give either idpMetadataXml or idpEntityId, idpSsoUrl and idpCert');
      } else if (usable('idpMetadataXml')) {
        try {
          idp = parseIdpMetadata(input.idpMetadataXml);
        } catch (error) {
          problem('idpMetadataXml', `is not usable identity provider metadata: ${configProblem(error)}`);
        }
      }
    } else {
      for (const field of fieldByField) {
        if (input[field] === undefined) problem(field, 'is required (or give idpMetadataXml)');
      }
      if (usable('idpEntityId') && input.idpEntityId !== undefined) {
        idp.entityId = input.idpEntityId.trim();
        if (!idp.entityId) problem('idpEntityId', 'must not be empty');
        else if (hasControlCharacter(idp.entityId)) problem('idpEntityId', 'must not contain control characters');
      }
      if (usable('idpSsoUrl')) idp.ssoUrl = input.idpSsoUrl;
      const certs = input.idpCert === undefined || !usable('idpCert') ? [] : [input.idpCert].flat();
      certs.forEach((cert, i) => {
        const field = Array.isArray(input.idpCert) ? `idpCert[${i}]` : 'idpCert';
        try {
          idp.certs.push(normalizeCertificatePem(cert));
        } catch (error) {
          problem(field, `is not a usable certificate: ${configProblem(error)}`);
        }
      });
      if (usable('idpCert') && Array.isArray(input.idpCert) && (certs.length === 0 || certs.length > MAX_CERTS)) {
        problem('idpCert', `must hold 1 to ${MAX_CERTS} certificates`);
      }
    }
    if (idp.ssoUrl !== undefined && !isSignOnUrl(idp.ssoUrl)) {
      problem(
        input.idpMetadataXml !== undefined ? 'idpMetadataXml' : 'idpSsoUrl',
        'must be an absolute https URL (http only for a loopback host: localhost, 127.0.0.0/8, ::1)',
      );
    }
    if (idp.entityId !== undefined && idp.entityId.length > 1024)
      problem('idpEntityId', 'must be at most 1024 characters');

    const groupRoleMap: Record<string, OrgRole> = {};
    const entries = usable('groupRoleMap') ? Object.entries(input.groupRoleMap ?? {}) : [];
    if (entries.length > MAX_GROUPS) problem('groupRoleMap', `must map at most ${MAX_GROUPS} groups`);
    for (const [group, role] of entries) {
      if (group.trim() === '' || group.length > 256) problem('groupRoleMap', 'group names must be 1 to 256 characters');
      else if (!ORG_ROLES.includes(role as OrgRole)) {
        problem(`groupRoleMap.${group}`, `must be one of ${ORG_ROLES.join(', ')}`);
      } else groupRoleMap[group] = role as OrgRole;
    }

    if (problems.length > 0) throw validationFailed(problems);
    return {
      orgId,
      domain: domain!,
      idpEntityId: idp.entityId!,
      idpSsoUrl: idp.ssoUrl!,
      idpCerts: [...new Set(idp.certs)],
      groupsAttribute: input.groupsAttribute?.trim() || null,
      groupRoleMap,
      defaultRole: input.defaultRole ?? 'member',
      enforce: input.enforce ?? false,
      requireSignedResponse: input.requireSignedResponse ?? true,
    };
  }
}

/** What was wrong with an administrator's certificate or metadata; anything else is a bug, not their input. */
function configProblem(error: unknown): string {
  if (error instanceof SamlConfigError) return error.message;
  throw error;
}

function domainTaken(): DomainError {
  return validationFailed([{ field: 'domain', problems: ['is verified by another organization'] }]);
}

function verifiedElsewhere(): DomainError {
  return new DomainError(
    'domain_not_verified',
    {},
    { message: 'Another organization verified this domain first; a domain has one verified provider.' },
  );
}

/**
 * Absolute https, no credentials, fragment or control character, within the column's length. The
 * login route redirects browsers there, so plain http (a network attacker's to rewrite) is only for
 * an IdP on the loopback interface, beside the service (tests, development).
 */
function isSignOnUrl(value: string): boolean {
  if (value.length > 2048 || hasControlCharacter(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  return secure && !url.username && !url.password && !url.hash;
}

/** localhost, 127.0.0.0/8 or ::1, as the URL parser spells them (it writes IPv4 in dotted decimal). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** C0 and C1 controls and DEL: no place in an identifier or URL, and PostgreSQL refuses NUL. */
function hasControlCharacter(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(value);
}
