import { MigrationInterface, QueryRunner } from 'typeorm';

export class PasswordRotationNoGrace1796531000000 implements MigrationInterface {
  name = 'PasswordRotationNoGrace1796531000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "previous_token_grace" boolean NOT NULL DEFAULT false`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "previous_token_grace"`);
  }
}
