import { MigrationInterface, QueryRunner } from 'typeorm';

/** The keys that sign the JWTs of POST /auth/token, private halves sealed under ENCRYPTION_KEY. */
export class SigningKeys1797450000000 implements MigrationInterface {
  name = 'SigningKeys1797450000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "signing_keys" ("kid" character varying(64) NOT NULL, "algorithm" character varying(16) NOT NULL,
        "state" character varying(16) NOT NULL, "public_jwk" jsonb NOT NULL, "private_key" bytea NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "activated_at" TIMESTAMP WITH TIME ZONE,
        "retired_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_signing_keys_kid" PRIMARY KEY ("kid"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "signing_keys_one_per_state" ON "signing_keys" ("state") WHERE state <> 'retired'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "signing_keys_one_per_state"`);
    await queryRunner.query(`DROP TABLE "signing_keys"`);
  }
}
