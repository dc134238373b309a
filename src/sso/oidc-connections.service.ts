import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { DomainError, ValidationDetail, validationFailed } from '../common/errors';
import { TransactionHost } from '../database/transactions';
import type { OrgRole } from '../organizations/organizations.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { OidcIssuerError } from './oidc/errors';
import { discoverOp } from './oidc/op-metadata';
import { sharedSettings } from './provider-settings';
import { domainTaken, SsoDomainsService } from './sso-domains.service';
import { newVerificationToken, SsoProvidersService } from './sso-providers.service';
import { type OidcConnection, SsoRepository } from './sso.repository';

/** The associated data the client secret is sealed with: a ciphertext sealed for anything else does not open. */
export const OIDC_SECRET_PURPOSE = 'oidc-client-secret';

export const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
export const DEFAULT_GROUPS_CLAIM = 'groups';
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/;

/** PUT /orgs/:id/sso/oidc as the service reads it. */
export interface OidcConnectionInput {
  domain: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes?: string[];
  groupsClaim?: string | null;
  groupRoleMap?: Record<string, unknown>;
  defaultRole?: OrgRole;
  enforce?: boolean;
}

type Actor = { id: string; email: string };

/**
 * OIDC connections as organizations configure them (one SSO connection each, of either protocol):
 * the OP's issuer, whose discovery document and keys are fetched and checked at save, the client
 * (its secret sealed with ENCRYPTION_KEY, never answered back), the scopes and the groups claim.
 * The domain, its verification, enforcement and removal are those of every connection.
 */
@Injectable()
export class OidcConnectionsService {
  private readonly logger = new Logger('OidcConnections');

  constructor(
    private readonly txHost: TransactionHost,
    private readonly clock: Clock,
    private readonly cipher: Cipher,
    private readonly repository: SsoRepository,
    private readonly organizations: OrganizationsService,
    private readonly domains: SsoDomainsService,
    private readonly providers: SsoProvidersService,
    private readonly audit: AuditService,
  ) {}

  /** The organization's OIDC connection, for its owners and admins; not_found when it has none. */
  async getForOrg(actor: Actor, orgId: string): Promise<OidcConnection> {
    await this.organizations.requireRole(orgId, actor.id, ['owner', 'admin']);
    const existing = await this.repository.findProviderOfOrg(orgId);
    const connection = existing?.protocol === 'oidc' ? await this.repository.findOidcConnection(existing.id) : null;
    if (!connection) throw new DomainError('not_found');
    return connection;
  }

  /**
   * Creates or replaces the organization's OIDC connection (owners only). The issuer's discovery is
   * fetched first, outside any transaction (the OP may take seconds); what it says wrong is a
   * validation_failed naming `issuer`. 409 sso_already_configured when the organization has SAML.
   */
  async save(
    actor: Actor,
    orgId: string,
    input: OidcConnectionInput,
    client: ClientInfo,
    bodyProblems: ValidationDetail[] = [],
  ): Promise<OidcConnection> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    const settings = checkInput(input, bodyProblems);
    await this.domains.assertClaimable(settings.domain, orgId);
    if ((await this.repository.findProviderOfOrg(orgId))?.protocol === 'saml') {
      throw new DomainError('sso_already_configured');
    }
    let discovery: Awaited<ReturnType<typeof discoverOp>>;
    try {
      discovery = await discoverOp(settings.issuer);
    } catch (error) {
      if (!(error instanceof OidcIssuerError)) throw error;
      this.logger.log({ msg: 'OIDC issuer refused', orgId, issuer: settings.issuer, reason: error.message });
      throw validationFailed([{ field: 'issuer', problems: [error.message] }]);
    }
    return this.txHost.withTransaction(async () => {
      const before = await this.repository.findProviderOfOrg(orgId);
      const now = this.clock.now();
      const saved = await this.repository.saveOidcConnection(
        {
          orgId,
          domain: settings.domain,
          groupsAttribute: settings.groupsClaim,
          groupRoleMap: settings.groupRoleMap,
          defaultRole: settings.defaultRole,
          enforce: settings.enforce,
          // The OP's own spelling, which its ID tokens' `iss` must equal exactly.
          issuer: discovery.metadata.issuer,
          clientId: settings.clientId,
          clientSecret: this.cipher.seal(Buffer.from(settings.clientSecret, 'utf8'), OIDC_SECRET_PURPOSE),
          scopes: settings.scopes,
          metadata: discovery.metadata,
          jwks: discovery.jwks,
          jwksFetchedAt: now,
        },
        newVerificationToken(),
        now,
      );
      if (saved === 'other_protocol') throw new DomainError('sso_already_configured');
      if (!saved) throw domainTaken();
      const { connection, created } = saved;
      await this.providers.enforceIfBegun(before, connection, client);
      await this.audit.record({
        action: 'sso.provider_saved',
        actor,
        client,
        target: `org:${orgId}`,
        details: {
          providerId: connection.id,
          protocol: 'oidc',
          created,
          domain: connection.domain,
          domainVerified: connection.domainVerifiedAt !== null,
          issuer: connection.issuer,
          enforce: connection.enforce,
        },
      });
      return connection;
    });
  }

  /** The domain proven in DNS, as for any connection; the OIDC connection answered. */
  async verifyDomain(actor: Actor, orgId: string, client: ClientInfo): Promise<OidcConnection> {
    const verified = await this.domains.verifyDomain(actor, orgId, client, 'oidc');
    const connection = await this.repository.findOidcConnection(verified.id);
    if (!connection) throw new DomainError('not_found');
    return connection;
  }

  remove(actor: Actor, orgId: string, client: ClientInfo): Promise<void> {
    return this.providers.remove(actor, orgId, client, 'oidc');
  }
}

/** The input checked and brought to the stored form; validation_failed naming every bad field at once. */
function checkInput(input: OidcConnectionInput, bodyProblems: ValidationDetail[]) {
  const problems: ValidationDetail[] = [...bodyProblems];
  const problem = (field: string, message: string) => problems.push({ field, problems: [message] });
  const refused = new Set(bodyProblems.map((detail) => detail.field.split(/[.[]/)[0]));
  const usable = (field: string) => !refused.has(field);

  const { domain, groupRoleMap } = sharedSettings(input, problem, usable);
  const issuer = usable('issuer') ? input.issuer.trim() : '';
  if (usable('issuer')) {
    let url: URL | null = null;
    try {
      url = new URL(input.issuer.trim());
    } catch {
      problem('issuer', 'must be a URL');
    }
    if (url && (url.search || url.hash)) problem('issuer', 'must have no query or fragment');
  }
  const scopes = usable('scopes') ? [...new Set(input.scopes ?? DEFAULT_SCOPES)] : [];
  if (usable('scopes')) {
    if (!scopes.includes('openid')) problem('scopes', 'must include openid');
    if (scopes.length > 20 || !scopes.every((scope) => SCOPE_TOKEN.test(scope))) {
      problem('scopes', 'must be at most 20 scope tokens (no spaces or quotes)');
    }
  }
  if (problems.length > 0) throw validationFailed(problems);
  return {
    domain: domain!,
    issuer,
    clientId: input.clientId,
    clientSecret: input.clientSecret,
    scopes,
    groupsClaim: input.groupsClaim === undefined ? DEFAULT_GROUPS_CLAIM : input.groupsClaim?.trim() || null,
    groupRoleMap,
    defaultRole: input.defaultRole ?? 'member',
    enforce: input.enforce ?? false,
  };
}
