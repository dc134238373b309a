import { MigrationInterface, QueryRunner } from 'typeorm';

/** Operators' keys for the admin API: hashed, scoped, kept after revocation so audit rows still name them. */
export class AdminKeys1797430000000 implements MigrationInterface {
  name = 'AdminKeys1797430000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "admin_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(100) NOT NULL,
        "prefix" character varying(16) NOT NULL, "scopes" character varying(32) array NOT NULL, "key_hash" bytea NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE,
        "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_e83dae1cf12b63d26e58819fe63" UNIQUE ("key_hash"),
        CONSTRAINT "PK_4622859d2dc71470144026c1a1d" PRIMARY KEY ("id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "admin_keys"`);
  }
}
