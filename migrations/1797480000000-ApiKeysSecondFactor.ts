import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether the session that made an API key had proved a second factor: an organization's MFA rule
 * lets a key in only then. Keys made before are taken as made without one.
 */
export class ApiKeysSecondFactor1797480000000 implements MigrationInterface {
  name = 'ApiKeysSecondFactor1797480000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" ADD "second_factor" boolean NOT NULL DEFAULT false`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "api_keys" DROP COLUMN "second_factor"`);
  }
}
