import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { generateToken, hashToken, SCIM_TOKEN_PREFIX } from '../common/crypto';
import { DomainError } from '../common/errors';
import { Transactional, TransactionHost } from '../database/transactions';
import type { UserView } from '../http';
import { OrganizationsService } from '../organizations/organizations.service';
import { SsoDomainsService } from '../sso/sso-domains.service';
import { ScimError } from './scim-error';
import { ScimRepository, ScimTokenSummary } from './scim.repository';
import type { DirectoryConnection, ScimCaller } from './scim-caller';

const LAST_USED_RESOLUTION_MS = 60_000;

export interface CreatedScimToken {
  id: string;
  name: string;
  token: string;
  createdAt: Date;
}

type Actor = Pick<UserView, 'id' | 'email' | 'name'>;

/** The message of the answer when the organization has no SSO connection with a verified domain. */
export const NEEDS_VERIFIED_DOMAIN =
  'SCIM provisioning needs the organization’s SSO connection (SAML or OIDC) with a verified domain: ' +
  'configure SSO and verify its domain first.';

/** An organization's SCIM bearer tokens: made and revoked by its owners, and resolved on every SCIM request. */
@Injectable()
export class ScimTokensService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly repository: ScimRepository,
    private readonly organizations: OrganizationsService,
    private readonly domains: SsoDomainsService,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  /** Owners only; the organization needs a verified SSO domain (400 domain_not_verified). */
  @Transactional()
  async create(actor: Actor, orgId: string, name: string, client: ClientInfo): Promise<CreatedScimToken> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    if (!(await this.domains.verifiedConnectionOfOrg(orgId))) {
      throw new DomainError('domain_not_verified', {}, { message: NEEDS_VERIFIED_DOMAIN });
    }
    const token = SCIM_TOKEN_PREFIX + generateToken();
    const createdAt = this.clock.now();
    const id = await this.repository.insertToken({ orgId, name, tokenHash: hashToken(token), createdAt });
    await this.audit.record({
      action: 'scim.token_created',
      actor,
      client,
      target: `org:${orgId}`,
      details: { scimTokenId: id, name },
    });
    return { id, name, token, createdAt };
  }

  async list(actor: Actor, orgId: string): Promise<ScimTokenSummary[]> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    return this.repository.listTokens(orgId);
  }

  @Transactional()
  async revoke(actor: Actor, orgId: string, tokenId: string, client: ClientInfo): Promise<void> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    if (!(await this.repository.deleteToken(orgId, tokenId))) throw new DomainError('not_found');
    await this.audit.record({
      action: 'scim.token_revoked',
      actor,
      client,
      target: `org:${orgId}`,
      details: { scimTokenId: tokenId },
    });
  }

  /**
   * The directory a bearer token speaks for: 401 for a missing, unknown or revoked token. Its
   * last use is written at most once a minute, outside any transaction.
   */
  async authenticate(bearer: string | undefined): Promise<ScimCaller> {
    if (!bearer?.startsWith(SCIM_TOKEN_PREFIX)) {
      throw new ScimError(
        401,
        undefined,
        'A SCIM token of the organization is required (Authorization: Bearer scim_…).',
      );
    }
    const token = await this.repository.resolveToken(hashToken(bearer));
    if (!token) throw new ScimError(401, undefined, 'The SCIM token is unknown or revoked.');
    const now = this.clock.now();
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.txHost.detached(() =>
        this.repository.touchToken(token.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS)),
      );
    }
    const connection = await this.domains.verifiedConnectionOfOrg(token.orgId);
    return {
      tokenId: token.id,
      orgId: token.orgId,
      connection: connection && {
        id: connection.id,
        domain: connection.domain,
        defaultRole: connection.defaultRole,
        groupRoleMap: connection.groupRoleMap,
      },
    } satisfies ScimCaller & { connection: DirectoryConnection | null };
  }
}
