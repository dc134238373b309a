import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What erasing an account needs to find quickly: the mail still queued for its address (a keyed
 * hash, never the address), and the audit rows that name it as actor, target or in details.
 */
export class AccountDeletion1795760000000 implements MigrationInterface {
  name = 'AccountDeletion1795760000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "mail_outbox" ADD "recipient_tag" bytea`);
    await queryRunner.query(
      `CREATE INDEX "mail_outbox_recipient_tag_idx" ON "mail_outbox" ("recipient_tag") WHERE sent_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX "audit_log_actor_email_idx" ON "audit_log" ("actor_email")`);
    await queryRunner.query(`CREATE INDEX "audit_log_target_idx" ON "audit_log" ("target")`);
    await queryRunner.query(`CREATE INDEX "audit_log_details_idx" ON "audit_log" USING gin ("details" jsonb_path_ops)`);
    await queryRunner.query(
      `CREATE INDEX "users_deletion_scheduled_for_idx" ON "users" ("deletion_scheduled_for") WHERE deletion_scheduled_for IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."users_deletion_scheduled_for_idx"`);
    await queryRunner.query(`DROP INDEX "public"."audit_log_details_idx"`);
    await queryRunner.query(`DROP INDEX "public"."audit_log_target_idx"`);
    await queryRunner.query(`DROP INDEX "public"."audit_log_actor_email_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_outbox_recipient_tag_idx"`);
    await queryRunner.query(`ALTER TABLE "mail_outbox" DROP COLUMN "recipient_tag"`);
  }
}
