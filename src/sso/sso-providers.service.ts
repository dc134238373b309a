import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { DomainEvents } from '../common/domain-events';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { Transactional, TransactionHost } from '../database/transactions';
import { OrganizationsService } from '../organizations/organizations.service';
import { providerSettings } from './provider-settings';
import type { ProviderInput } from './provider-settings';
import { spMetadataXml, SsoUrls, ssoUrls } from './sp-metadata';
import { domainTaken, SsoDomainsService } from './sso-domains.service';
import { SsoEnforcementService } from './sso-enforcement.service';
import { SsoIdentitiesService } from './sso-identities.service';
import { isSaml } from './sso.entity';
import type { SamlProvider, SsoConnection, SsoProtocol } from './sso.entity';
import { SsoRepository } from './sso.repository';

type Actor = { id: string; email: string };

/** The token of a domain's TXT record, new with each domain claimed. */
export function newVerificationToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * SAML providers as organizations configure them (one SSO connection each, of either protocol): their IdP, certificates, group-role
 * map and enforcement, and their removal with the organization or on its owners' word.
 */
@Injectable()
export class SsoProvidersService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly repository: SsoRepository,
    private readonly organizations: OrganizationsService,
    private readonly domains: SsoDomainsService,
    private readonly enforcement: SsoEnforcementService,
    private readonly identities: SsoIdentitiesService,
    private readonly events: DomainEvents,
    private readonly audit: AuditService,
  ) {}

  /** The organization's provider, for its owners and admins; not_found when it has none. */
  async getForOrg(actor: Actor, orgId: string): Promise<SamlProvider> {
    await this.organizations.requireRole(orgId, actor.id, ['owner', 'admin']);
    const provider = await this.repository.findProviderOfOrg(orgId);
    if (!provider || !isSaml(provider)) throw new DomainError('not_found');
    return provider;
  }

  /**
   * Creates or replaces the organization's provider (owners only). Every problem with the input is
   * answered at once in validation_failed. A new domain starts unverified with a new token.
   */
  @Transactional()
  async save(actor: Actor, orgId: string, input: ProviderInput, client: ClientInfo): Promise<SamlProvider> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    const settings = providerSettings(orgId, input);
    await this.domains.assertClaimable(settings.domain, orgId);
    const before = await this.repository.findProviderOfOrg(orgId);
    if (before && before.protocol !== 'saml') throw new DomainError('sso_already_configured');
    const saved = await this.repository.saveProvider(settings, newVerificationToken(), this.clock.now());
    if (saved === 'other_protocol') throw new DomainError('sso_already_configured');
    if (!saved) throw domainTaken();
    const { provider, created } = saved;
    await this.enforceIfBegun(before, provider, client);
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
   * A save that made a verified domain enforced (newly, or newly this domain) ends what passwords
   * gave its people; for either protocol.
   */
  async enforceIfBegun(before: SsoConnection | null, saved: SsoConnection, client: ClientInfo): Promise<void> {
    const enforcedBefore = !!before?.enforce && !!before.domainVerifiedAt && before.domain === saved.domain;
    if (saved.enforce && saved.domainVerifiedAt && !enforcedBefore) {
      await this.enforcement.enforcementBegan(saved, client);
    }
  }

  /**
   * Removes the organization's connection of this protocol (owners only). The accounts it signed in
   * stay: they lose their tie to it (sso.provider_removed) and their identities at it.
   */
  @Transactional()
  async remove(actor: Actor, orgId: string, client: ClientInfo, protocol: SsoProtocol = 'saml'): Promise<void> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    const provider = await this.repository.findProviderOfOrg(orgId);
    if (provider?.protocol !== protocol) throw new DomainError('not_found');
    await this.identities.unlinkAllAt([provider.id], actor);
    const removed = await this.repository.deleteProviderOfOrg(orgId, protocol);
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
    // One after the other: in the deletion's transaction they share one connection.
    const providerIds: string[] = [];
    for (const orgId of orgIds) {
      const provider = await this.repository.findProviderOfOrg(orgId);
      if (provider) providerIds.push(provider.id);
    }
    await this.identities.unlinkAllAt(providerIds, { id: null, email: null });
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

  /** The SP metadata XML for one provider; not_found for an unknown one. */
  async spMetadata(providerId: string): Promise<string> {
    const provider = await this.repository.findProvider(providerId);
    if (!provider) throw new DomainError('not_found');
    const urls = this.urls(provider.id);
    return spMetadataXml({ entityId: urls.spEntityId, acsUrl: urls.acsUrl, signingCert: this.config.samlSp?.cert });
  }
}
