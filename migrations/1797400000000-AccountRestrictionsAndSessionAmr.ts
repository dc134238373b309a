import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An account an operator locked or its organization's directory suspended (no sign-in of any kind
 * while set), and what each session proved: the authentication method references of its sign-in and
 * confirmations, and when it last proved a second factor.
 */
export class AccountRestrictionsAndSessionAmr1797400000000 implements MigrationInterface {
  name = 'AccountRestrictionsAndSessionAmr1797400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "locked_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "users" ADD "lock_reason" character varying(500)`);
    await queryRunner.query(`ALTER TABLE "users" ADD "suspended_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "users" ADD "suspended_by_org_id" uuid`);
    await queryRunner.query(`ALTER TABLE "sessions" ADD "amr" character varying(8) array NOT NULL DEFAULT '{}'`);
    await queryRunner.query(`ALTER TABLE "sessions" ADD "second_factor_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "second_factor_at"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "amr"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "suspended_by_org_id"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "suspended_at"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "lock_reason"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "locked_at"`);
  }
}
