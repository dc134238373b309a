import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateMailOutbox1795747210179 implements MigrationInterface {
  name = 'CreateMailOutbox1795747210179';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "mail_outbox" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "template" character varying(64) NOT NULL, "payload" bytea, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "locked_until" TIMESTAMP WITH TIME ZONE, "sent_at" TIMESTAMP WITH TIME ZONE, "last_error" character varying(500), CONSTRAINT "PK_fecc63c96385bc35a39ccf2a72e" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "mail_outbox_sent_idx" ON "mail_outbox"  ("sent_at") WHERE sent_at IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "mail_outbox_due_idx" ON "mail_outbox"  ("next_attempt_at") WHERE sent_at IS NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."mail_outbox_due_idx"`);
    await queryRunner.query(`DROP INDEX "public"."mail_outbox_sent_idx"`);
    await queryRunner.query(`DROP TABLE "mail_outbox"`);
  }
}
