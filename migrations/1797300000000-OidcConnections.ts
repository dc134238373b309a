import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OIDC connections beside SAML ones: saml_providers holds every organization's connection (its
 * domain, verification, enforcement and role map) with a protocol, its SAML columns only for SAML;
 * an OIDC connection's OP settings and cached discovery are in oidc_connections, and its
 * authorization requests in flight in oidc_requests. The existing rows are SAML connections.
 */
export class OidcConnections1797300000000 implements MigrationInterface {
  name = 'OidcConnections1797300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "saml_providers" ADD "protocol" character varying(8) NOT NULL DEFAULT 'saml'`);
    await queryRunner.query(`ALTER TABLE "saml_providers" ALTER COLUMN "idp_entity_id" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "saml_providers" ALTER COLUMN "idp_sso_url" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "saml_providers" ALTER COLUMN "idp_certs" DROP NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "saml_providers" ADD CONSTRAINT "saml_providers_protocol_settings_check" CHECK ((protocol = 'saml' AND idp_entity_id IS NOT NULL AND idp_sso_url IS NOT NULL AND idp_certs IS NOT NULL) OR protocol = 'oidc')`,
    );
    await queryRunner.query(
      `CREATE TABLE "oidc_connections" ("connection_id" uuid NOT NULL, "issuer" character varying(2048) NOT NULL, "client_id" character varying(512) NOT NULL, "client_secret" bytea NOT NULL, "scopes" text array NOT NULL, "metadata" jsonb NOT NULL, "jwks" jsonb NOT NULL, "jwks_fetched_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_b54c874e23d569dd618b257c6e7" PRIMARY KEY ("connection_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "oidc_requests" ("provider_id" uuid NOT NULL, "state_hash" bytea NOT NULL, "binding_hash" bytea NOT NULL, "nonce" character varying(128) NOT NULL, "code_verifier" character varying(128) NOT NULL, "return_to" character varying(2048), "step_up_session_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_2dcac93e3b4732442dee32a72b7" PRIMARY KEY ("provider_id", "state_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX "oidc_requests_expires_at_idx" ON "oidc_requests"  ("expires_at") `);
    await queryRunner.query(
      `ALTER TABLE "oidc_connections" ADD CONSTRAINT "FK_b54c874e23d569dd618b257c6e7" FOREIGN KEY ("connection_id") REFERENCES "saml_providers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "oidc_requests" ADD CONSTRAINT "FK_c02612dc4c34c88eee77b6d57ee" FOREIGN KEY ("provider_id") REFERENCES "saml_providers"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "oidc_requests" DROP CONSTRAINT "FK_c02612dc4c34c88eee77b6d57ee"`);
    await queryRunner.query(`ALTER TABLE "oidc_connections" DROP CONSTRAINT "FK_b54c874e23d569dd618b257c6e7"`);
    await queryRunner.query(`DROP INDEX "public"."oidc_requests_expires_at_idx"`);
    await queryRunner.query(`DROP TABLE "oidc_requests"`);
    await queryRunner.query(`DROP TABLE "oidc_connections"`);
    // Without their OP settings, OIDC connections cannot be kept; their identities and the accounts' ties go with them.
    await queryRunner.query(
      `UPDATE "users" SET "sso_provider_id" = NULL WHERE "sso_provider_id" IN (SELECT "id" FROM "saml_providers" WHERE "protocol" = 'oidc')`,
    );
    await queryRunner.query(`DELETE FROM "saml_providers" WHERE "protocol" = 'oidc'`);
    await queryRunner.query(`ALTER TABLE "saml_providers" DROP CONSTRAINT "saml_providers_protocol_settings_check"`);
    await queryRunner.query(`ALTER TABLE "saml_providers" ALTER COLUMN "idp_certs" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "saml_providers" ALTER COLUMN "idp_sso_url" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "saml_providers" ALTER COLUMN "idp_entity_id" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "saml_providers" DROP COLUMN "protocol"`);
  }
}
