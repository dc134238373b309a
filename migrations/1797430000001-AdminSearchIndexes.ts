import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The admin API's reads: accounts newest first and by address prefix, the audit log by action. Built
 * concurrently would need a migration outside a transaction; these tables are read-mostly and a
 * plain build holds only a write lock for its duration.
 */
export class AdminSearchIndexes1797430000001 implements MigrationInterface {
  name = 'AdminSearchIndexes1797430000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX "users_created_at_id_idx" ON "users" ("created_at", "id")`);
    await queryRunner.query(`CREATE INDEX "users_email_prefix_idx" ON "users" ("email" varchar_pattern_ops)`);
    await queryRunner.query(`CREATE INDEX "audit_log_action_id_idx" ON "audit_log" ("action", "id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "audit_log_action_id_idx"`);
    await queryRunner.query(`DROP INDEX "users_email_prefix_idx"`);
    await queryRunner.query(`DROP INDEX "users_created_at_id_idx"`);
  }
}
