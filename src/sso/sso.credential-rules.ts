import { Injectable } from '@nestjs/common';
import { CredentialHolder, CredentialRules, ProvidesCredentialRules } from '../common/credential-policy';
import { SsoEnforcementService } from './sso-enforcement.service';

/** Enforced SSO, as the modules below this one (step-up, verification) ask about it. */
@Injectable()
@ProvidesCredentialRules()
export class SsoCredentialRules implements CredentialRules {
  constructor(private readonly enforcement: SsoEnforcementService) {}

  /** sso_required for an address of an enforced domain, but for an owner of its organization (break-glass). */
  async assertPasswordUsable(holder: CredentialHolder): Promise<void> {
    await this.enforcement.assertPasswordAllowed(holder.email, { breakGlassUserId: holder.id });
  }

  enforcedSsoProvider(holder: CredentialHolder): Promise<string | null> {
    return this.enforcement.enforcedProviderFor(holder);
  }

  ssoLoginPath(providerId: string): Promise<string | null> {
    return this.enforcement.loginPathOf(providerId);
  }

  ssoConnectionOrganization(providerId: string): Promise<string | null> {
    return this.enforcement.organizationOf(providerId);
  }

  async assertAddressChangeAllowed(holder: CredentialHolder, newEmail: string): Promise<void> {
    await this.enforcement.assertAddressKept(holder, newEmail);
  }
}
