import { MigrationInterface, QueryRunner } from 'typeorm';

/** A mail the outbox gave up on (a permanent SMTP refusal, or too many attempts) is marked failed. */
export class OutboxFailures1796100000001 implements MigrationInterface {
  name = 'OutboxFailures1796100000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "mail_outbox" ADD "failed_at" TIMESTAMP WITH TIME ZONE`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "mail_outbox" DROP COLUMN "failed_at"`);
  }
}
