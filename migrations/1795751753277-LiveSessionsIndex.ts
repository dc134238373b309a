import { MigrationInterface, QueryRunner } from 'typeorm';

export class LiveSessionsIndex1795751753277 implements MigrationInterface {
  name = 'LiveSessionsIndex1795751753277';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "sessions_live_user_created_idx" ON "sessions"  ("user_id", "created_at") WHERE revoked_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."sessions_live_user_created_idx"`);
  }
}
