import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in links and codes mailed to an address, and the codes that confirm a passwordless session:
 * hashes only, one live row per address (signing in) and per user (step-up).
 */
export class EmailSignIn1797100000000 implements MigrationInterface {
  name = 'EmailSignIn1797100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "email_sign_in_codes" ("id" uuid NOT NULL, "email" character varying(320) NOT NULL, "user_id" uuid, "purpose" character varying(16) NOT NULL, "session_id" uuid, "token_hash" bytea, "code_hash" bytea NOT NULL, "return_to" character varying(2048), "attempts" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_35e6b2ae6a91bd2c3411b18c7bc" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "email_sign_in_codes_expires_at_idx" ON "email_sign_in_codes"  ("expires_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "email_sign_in_codes_token_hash_key" ON "email_sign_in_codes"  ("token_hash") WHERE token_hash IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "email_sign_in_codes_step_up_user_key" ON "email_sign_in_codes"  ("user_id") WHERE purpose = 'step-up'`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "email_sign_in_codes_sign_in_email_key" ON "email_sign_in_codes"  ("email") WHERE purpose = 'sign-in'`,
    );
    await queryRunner.query(
      `ALTER TABLE "email_sign_in_codes" ADD CONSTRAINT "FK_b9b3d49146fa101d2e811130ff3" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "email_sign_in_codes" DROP CONSTRAINT "FK_b9b3d49146fa101d2e811130ff3"`);
    await queryRunner.query(`DROP INDEX "public"."email_sign_in_codes_sign_in_email_key"`);
    await queryRunner.query(`DROP INDEX "public"."email_sign_in_codes_step_up_user_key"`);
    await queryRunner.query(`DROP INDEX "public"."email_sign_in_codes_token_hash_key"`);
    await queryRunner.query(`DROP INDEX "public"."email_sign_in_codes_expires_at_idx"`);
    await queryRunner.query(`DROP TABLE "email_sign_in_codes"`);
  }
}
