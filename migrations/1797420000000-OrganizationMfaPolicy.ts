import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An organization's security policy (whether its members must use a second factor on its routes),
 * and which SSO connection last signed a session in or confirmed it: a session from an
 * organization's own connection satisfies that organization's rule, another's does not.
 */
export class OrganizationMfaPolicy1797420000000 implements MigrationInterface {
  name = 'OrganizationMfaPolicy1797420000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "organizations" ADD "require_mfa" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`ALTER TABLE "sessions" ADD "sso_connection_id" uuid`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "sso_connection_id"`);
    await queryRunner.query(`ALTER TABLE "organizations" DROP COLUMN "require_mfa"`);
  }
}
