import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailVerification1795749112463 implements MigrationInterface {
  name = 'EmailVerification1795749112463';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "verification_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "email" character varying(320) NOT NULL, "token_hash" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_19d8484a0754cd015ca11302a5b" UNIQUE ("token_hash"), CONSTRAINT "PK_f2d4d7a2aa57ef199e61567db22" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "verification_tokens_user_id_idx" ON "verification_tokens"  ("user_id") `);
    await queryRunner.query(`ALTER TABLE "users" ADD "ever_verified" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `CREATE INDEX "users_never_verified_created_at_idx" ON "users"  ("created_at") WHERE NOT ever_verified`,
    );
    await queryRunner.query(
      `ALTER TABLE "verification_tokens" ADD CONSTRAINT "FK_31d2079dc4079b80517d31cf4f2" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "verification_tokens" DROP CONSTRAINT "FK_31d2079dc4079b80517d31cf4f2"`);
    await queryRunner.query(`DROP INDEX "public"."users_never_verified_created_at_idx"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "ever_verified"`);
    await queryRunner.query(`DROP INDEX "public"."verification_tokens_user_id_idx"`);
    await queryRunner.query(`DROP TABLE "verification_tokens"`);
  }
}
