import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether the account has a passkey, on the users row beside two_factor_enabled: the User every
 * request reads says so without a second lookup. Set for the passkeys registered before it.
 */
export class UsersHasPasskey1797200000000 implements MigrationInterface {
  name = 'UsersHasPasskey1797200000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "has_passkey" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `UPDATE "users" u SET "has_passkey" = true WHERE EXISTS (SELECT 1 FROM "passkeys" p WHERE p."user_id" = u."id")`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "has_passkey"`);
  }
}
