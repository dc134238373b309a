import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claims of a domain reserve nothing until verified: several organizations may claim one, and only
 * verified providers are unique per domain (the first to verify holds it).
 */
export class SamlDomainClaims1796500000000 implements MigrationInterface {
  name = 'SamlDomainClaims1796500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "saml_providers" DROP CONSTRAINT "UQ_f3e825598823246d4190798ecd8"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "saml_providers_verified_domain_idx" ON "saml_providers" ("domain") WHERE domain_verified_at IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "saml_providers_domain_idx" ON "saml_providers" ("domain") `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."saml_providers_domain_idx"`);
    await queryRunner.query(`DROP INDEX "public"."saml_providers_verified_domain_idx"`);
    await queryRunner.query(
      `ALTER TABLE "saml_providers" ADD CONSTRAINT "UQ_f3e825598823246d4190798ecd8" UNIQUE ("domain")`,
    );
  }
}
