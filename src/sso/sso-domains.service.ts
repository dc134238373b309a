import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { DomainError, validationFailed } from '../common/errors';
import { TransactionHost } from '../database/transactions';
import { OutboxService } from '../mail/outbox.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { DnsTxt } from './dns-txt';
import { SsoEnforcementService } from './sso-enforcement.service';
import type { SsoConnection, SsoProtocol } from './sso.entity';
import { SsoRepository } from './sso.repository';

/** The DNS record that proves an organization controls its domain. */
export interface DomainVerificationRecord {
  type: 'TXT';
  name: string;
  value: string;
}

/** The TXT record's name is `_auth-verification.<domain>`, its value `auth-verification=<token>`. */
const VERIFICATION_PREFIX = 'auth-verification';

export function verificationRecord(
  claim: Pick<SsoConnection, 'domain' | 'verificationToken'>,
): DomainVerificationRecord {
  return {
    type: 'TXT',
    name: `_${VERIFICATION_PREFIX}.${claim.domain}`,
    value: `${VERIFICATION_PREFIX}=${claim.verificationToken}`,
  };
}

/** validation_failed on `domain`: another organization verified it. */
export function domainTaken(): DomainError {
  return validationFailed([{ field: 'domain', problems: ['is verified by another organization'] }]);
}

/**
 * The domains organizations claim for SSO, through a connection of either protocol. Any number of them may claim one; the first to prove it
 * in DNS holds it, and the other claimants' owners are told.
 */
@Injectable()
export class SsoDomainsService {
  private readonly logger = new Logger('Sso');

  constructor(
    private readonly txHost: TransactionHost,
    private readonly clock: Clock,
    private readonly repository: SsoRepository,
    private readonly organizations: OrganizationsService,
    private readonly enforcement: SsoEnforcementService,
    private readonly dns: DnsTxt,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * The organization's connection when its domain is verified (what provisioning by SCIM needs: the
   * domain vouches for the addresses the directory asserts); null otherwise.
   */
  async verifiedConnectionOfOrg(orgId: string): Promise<SsoConnection | null> {
    const connection = await this.repository.findProviderOfOrg(orgId);
    return connection?.domainVerifiedAt ? connection : null;
  }

  /** An unverified claim reserves nothing; a verified one holds the domain (validation_failed for the others). */
  async assertClaimable(domain: string, orgId: string): Promise<void> {
    const holder = await this.repository.findVerifiedProviderByDomain(domain);
    if (holder && holder.orgId !== orgId) throw domainTaken();
  }

  /**
   * Looks the TXT record up (outside any transaction: DNS may take seconds) and marks the domain
   * verified when it holds the token. Absent, different, unanswered: all domain_not_verified, the
   * reason logged.
   */
  async verifyDomain(
    actor: { id: string; email: string },
    orgId: string,
    client: ClientInfo,
    protocol: SsoProtocol,
  ): Promise<SsoConnection> {
    await this.organizations.requireRole(orgId, actor.id, ['owner']);
    const provider = await this.repository.findProviderOfOrg(orgId);
    if (provider?.protocol !== protocol) throw new DomainError('not_found');
    if (provider.domainVerifiedAt) return provider;
    const holder = await this.repository.findVerifiedProviderByDomain(provider.domain);
    if (holder) throw verifiedElsewhere();
    const record = verificationRecord(provider);
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
      if (verified.enforce) await this.enforcement.enforcementBegan(verified, client);
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

  /** Tells the owners of the organizations whose claims of the domain can no longer be verified. */
  private async mailOtherClaimants(verified: SsoConnection): Promise<void> {
    for (const claim of await this.repository.findUnverifiedClaims(verified.domain)) {
      const org = await this.organizations.membersFor(claim.orgId);
      for (const owner of org?.members.filter((member) => member.role === 'owner') ?? []) {
        await this.outbox.enqueue(owner.email, 'sso-domain-taken', { orgName: org!.name, domain: verified.domain });
      }
    }
  }

  private async recordPublished(record: DomainVerificationRecord, provider: SsoConnection): Promise<boolean> {
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
}

function verifiedElsewhere(): DomainError {
  return new DomainError(
    'domain_not_verified',
    {},
    { message: 'Another organization verified this domain first; a domain has one verified provider.' },
  );
}
