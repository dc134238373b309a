import { MigrationInterface, QueryRunner } from 'typeorm';

/** Passkeys (WebAuthn credentials) and the single-use challenges of their ceremonies, kept hashed. */
export class Passkeys1797000000000 implements MigrationInterface {
  name = 'Passkeys1797000000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "passkeys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" uuid NOT NULL, "credential_id" text NOT NULL, "public_key" bytea NOT NULL, "counter" bigint NOT NULL DEFAULT '0', "transports" text array NOT NULL DEFAULT '{}', "backed_up" boolean NOT NULL, "device_type" character varying(16) NOT NULL, "name" character varying(100) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_81b80835fab9dcadaebc6d168ab" UNIQUE ("credential_id"), CONSTRAINT "PK_db928e6fd79e7098911268a74c3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "passkeys_user_id_idx" ON "passkeys"  ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE "webauthn_challenges" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "challenge_hash" bytea NOT NULL, "purpose" character varying(16) NOT NULL, "user_id" uuid, "session_id" uuid, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_e2946be78aa4435a952618a944d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "webauthn_challenges_session_id_idx" ON "webauthn_challenges"  ("session_id") `,
    );
    await queryRunner.query(`CREATE INDEX "webauthn_challenges_user_id_idx" ON "webauthn_challenges"  ("user_id") `);
    await queryRunner.query(
      `CREATE INDEX "webauthn_challenges_expires_at_idx" ON "webauthn_challenges"  ("expires_at") `,
    );
    await queryRunner.query(
      `ALTER TABLE "passkeys" ADD CONSTRAINT "FK_02227b9a8a34a808e3e23800b00" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webauthn_challenges" ADD CONSTRAINT "FK_0dcc679b1d27e0a3927a37798a9" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "webauthn_challenges" ADD CONSTRAINT "FK_ab9fea13be76a7a4a956ab3e5cc" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webauthn_challenges" DROP CONSTRAINT "FK_ab9fea13be76a7a4a956ab3e5cc"`);
    await queryRunner.query(`ALTER TABLE "webauthn_challenges" DROP CONSTRAINT "FK_0dcc679b1d27e0a3927a37798a9"`);
    await queryRunner.query(`ALTER TABLE "passkeys" DROP CONSTRAINT "FK_02227b9a8a34a808e3e23800b00"`);
    await queryRunner.query(`DROP INDEX "public"."webauthn_challenges_expires_at_idx"`);
    await queryRunner.query(`DROP INDEX "public"."webauthn_challenges_user_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."webauthn_challenges_session_id_idx"`);
    await queryRunner.query(`DROP TABLE "webauthn_challenges"`);
    await queryRunner.query(`DROP INDEX "public"."passkeys_user_id_idx"`);
    await queryRunner.query(`DROP TABLE "passkeys"`);
  }
}
