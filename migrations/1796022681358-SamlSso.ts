import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SAML single sign-on: one identity provider per organization and per email domain, the users each
 * provider knows by NameID, the AuthnRequests in flight and the assertions already accepted (replay).
 */
export class SamlSso1796022681358 implements MigrationInterface {
  name = 'SamlSso1796022681358';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "saml_providers" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "domain" character varying(253) NOT NULL, "verification_token" character varying(64) NOT NULL, "domain_verified_at" TIMESTAMP WITH TIME ZONE, "idp_entity_id" character varying(1024) NOT NULL, "idp_sso_url" character varying(2048) NOT NULL, "idp_certs" text array NOT NULL, "groups_attribute" character varying(256), "group_role_map" jsonb NOT NULL DEFAULT '{}', "default_role" character varying(16) NOT NULL DEFAULT 'member', "enforce" boolean NOT NULL DEFAULT false, "require_signed_response" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "UQ_0fde14e06b73936264da09ab559" UNIQUE ("org_id"), CONSTRAINT "UQ_f3e825598823246d4190798ecd8" UNIQUE ("domain"), CONSTRAINT "PK_21edd1c75ee69cefd1dd4d2f598" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "sso_identities" ("provider_id" uuid NOT NULL, "name_id" character varying(1024) NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_login_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_e074d2675aaf9f442258c2e8d8e" PRIMARY KEY ("provider_id", "name_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "sso_identities_user_id_idx" ON "sso_identities"  ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE "saml_requests" ("provider_id" uuid NOT NULL, "request_id" character varying(256) NOT NULL, "binding_hash" bytea NOT NULL, "return_to" character varying(2048), "force_authn" boolean NOT NULL DEFAULT false, "step_up_session_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_fbaf7cb375db2bed254375ff3de" PRIMARY KEY ("provider_id", "request_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "saml_requests_expires_at_idx" ON "saml_requests"  ("expires_at") `);
    await queryRunner.query(
      `CREATE TABLE "saml_assertions" ("provider_id" uuid NOT NULL, "assertion_id" character varying(256) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_05c45f61df83ab9bfeeccea708d" PRIMARY KEY ("provider_id", "assertion_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "saml_assertions_expires_at_idx" ON "saml_assertions"  ("expires_at") `);
    await queryRunner.query(
      `ALTER TABLE "saml_providers" ADD CONSTRAINT "FK_0fde14e06b73936264da09ab559" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sso_identities" ADD CONSTRAINT "FK_062982ae06ecc0b42eb55b3eaaf" FOREIGN KEY ("provider_id") REFERENCES "saml_providers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sso_identities" ADD CONSTRAINT "FK_17b0ed9f37917807a7072f71f96" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "saml_requests" ADD CONSTRAINT "FK_35adcaca61262aaab8d4905047b" FOREIGN KEY ("provider_id") REFERENCES "saml_providers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "saml_assertions" ADD CONSTRAINT "FK_2b7b6b2ed46844ae4acd62c0e64" FOREIGN KEY ("provider_id") REFERENCES "saml_providers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "saml_assertions" DROP CONSTRAINT "FK_2b7b6b2ed46844ae4acd62c0e64"`);
    await queryRunner.query(`ALTER TABLE "saml_requests" DROP CONSTRAINT "FK_35adcaca61262aaab8d4905047b"`);
    await queryRunner.query(`ALTER TABLE "sso_identities" DROP CONSTRAINT "FK_17b0ed9f37917807a7072f71f96"`);
    await queryRunner.query(`ALTER TABLE "sso_identities" DROP CONSTRAINT "FK_062982ae06ecc0b42eb55b3eaaf"`);
    await queryRunner.query(`ALTER TABLE "saml_providers" DROP CONSTRAINT "FK_0fde14e06b73936264da09ab559"`);
    await queryRunner.query(`DROP INDEX "public"."saml_assertions_expires_at_idx"`);
    await queryRunner.query(`DROP TABLE "saml_assertions"`);
    await queryRunner.query(`DROP INDEX "public"."saml_requests_expires_at_idx"`);
    await queryRunner.query(`DROP TABLE "saml_requests"`);
    await queryRunner.query(`DROP INDEX "public"."sso_identities_user_id_idx"`);
    await queryRunner.query(`DROP TABLE "sso_identities"`);
    await queryRunner.query(`DROP TABLE "saml_providers"`);
  }
}
