import { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionRotationGrace1796300000000 implements MigrationInterface {
  name = 'SessionRotationGrace1796300000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sessions" ADD "previous_token_hash" bytea`);
    await queryRunner.query(`ALTER TABLE "sessions" ADD "rotated_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE INDEX "sessions_previous_token_hash_idx" ON "sessions" ("previous_token_hash") WHERE previous_token_hash IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."sessions_previous_token_hash_idx"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "rotated_at"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "previous_token_hash"`);
  }
}
