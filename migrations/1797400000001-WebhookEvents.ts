import { MigrationInterface, QueryRunner } from 'typeorm';

/** Events for the product's webhooks, queued in the transaction of the change each reports. */
export class WebhookEvents1797400000001 implements MigrationInterface {
  name = 'WebhookEvents1797400000001';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "webhook_events" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "type" character varying(64) NOT NULL,
        "data" jsonb NOT NULL, "user_id" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT "PK_webhook_events_id" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "webhook_events_user_id_idx" ON "webhook_events" ("user_id") WHERE user_id IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "webhook_events_user_id_idx"`);
    await queryRunner.query(`DROP TABLE "webhook_events"`);
  }
}
