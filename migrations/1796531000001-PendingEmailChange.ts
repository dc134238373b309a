import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An email change keeps the account's verified address as its way back until the new one is
 * verified. Changes pending before this get theirs from the audit trail (the address of the
 * account's last verification) when no account holds that address now; the others keep the new
 * address as before.
 */
export class PendingEmailChange1796531000001 implements MigrationInterface {
  name = 'PendingEmailChange1796531000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "previous_email" character varying(320)`);
    await queryRunner.query(`ALTER TABLE "users" ADD "email_changed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "users_previous_email_key" ON "users" ("previous_email") WHERE previous_email IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "users_email_changed_at_idx" ON "users" ("email_changed_at") WHERE previous_email IS NOT NULL`,
    );
    const pending: { id: string; email: string; verified: string; changed_at: Date }[] = await queryRunner.query(
      `SELECT u.id, u.email, v.actor_email AS verified, COALESCE(c.changed_at, u.updated_at) AS changed_at
         FROM users u
         JOIN LATERAL (SELECT actor_email FROM audit_log
                        WHERE action = 'user.email_verified' AND actor_id = u.id AND actor_email IS NOT NULL
                        ORDER BY created_at DESC LIMIT 1) v ON true
         LEFT JOIN LATERAL (SELECT max(created_at) AS changed_at FROM audit_log
                             WHERE action = 'user.email_changed' AND actor_id = u.id) c ON true
        WHERE u.ever_verified AND u.email_verified_at IS NULL AND v.actor_email <> u.email`,
    );
    for (const row of pending) {
      await queryRunner.query(
        `UPDATE users SET previous_email = $2, email_changed_at = $3 WHERE id = $1
            AND NOT EXISTS (SELECT 1 FROM users WHERE email = $2 OR previous_email = $2)`,
        [row.id, row.verified, row.changed_at],
      );
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."users_email_changed_at_idx"`);
    await queryRunner.query(`DROP INDEX "public"."users_previous_email_key"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "email_changed_at"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "previous_email"`);
  }
}
