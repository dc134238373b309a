import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../common/user-data';
import { SsoRepository } from './sso.repository';

/**
 * A user's identities at SSO connections go with them. Connections belong to organizations, and
 * requests in flight and used assertion ids name no one, so they stay.
 */
@UserData({
  tables: ['sso_identities', 'saml_providers', 'saml_requests', 'saml_assertions', 'oidc_connections', 'oidc_requests'],
})
@Injectable()
export class SsoUserData implements UserDataHandler {
  constructor(private readonly repository: SsoRepository) {}

  async export(userId: string): Promise<Record<string, unknown>> {
    return { ssoIdentities: await this.repository.identitiesOf(userId) };
  }

  async erase(accounts: ErasedAccount[]): Promise<void> {
    await this.repository.deleteIdentitiesOf(accounts.map((account) => account.id));
  }
}
