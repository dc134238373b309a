import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An SSO identity now signs in only to an account whose address is in its provider's verified
 * domain. Identities made before that rule which break it (at a provider whose domain was never
 * verified, or tied to an account that has left the domain) go, with the accounts' tie to such a
 * provider and the live sessions those identities signed in, so nothing keeps what the rule would
 * refuse today.
 */
export class SsoIdentitiesOfVerifiedDomains1796900000000 implements MigrationInterface {
  name = 'SsoIdentitiesOfVerifiedDomains1796900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const outside = `(p.domain_verified_at IS NULL OR right(u.email, char_length(p.domain) + 1) <> '@' || p.domain)`;
    await queryRunner.query(
      `WITH stale AS (
         DELETE FROM sso_identities i USING saml_providers p, users u
          WHERE i.provider_id = p.id AND u.id = i.user_id AND ${outside}
         RETURNING i.user_id
       )
       UPDATE sessions s SET revoked_at = now()
         FROM stale WHERE s.user_id = stale.user_id AND s.auth_method = 'saml' AND s.revoked_at IS NULL`,
    );
    await queryRunner.query(
      `UPDATE users u SET sso_provider_id = NULL, updated_at = now()
         FROM saml_providers p WHERE u.sso_provider_id = p.id AND ${outside}`,
    );
  }

  public async down(): Promise<void> {
    // What was removed broke the rule; it is not put back.
  }
}
