import { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionManagement1795749327784 implements MigrationInterface {
  name = 'SessionManagement1795749327784';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "known_ips" ("user_id" uuid NOT NULL, "ip" character varying(45) NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_34538cd2604f19d4a93e9cde6f4" PRIMARY KEY ("user_id", "ip"))`,
    );
    await queryRunner.query(`ALTER TABLE "sessions" ADD "rotation_required" boolean NOT NULL DEFAULT false`);
    await queryRunner.query(
      `ALTER TABLE "known_ips" ADD CONSTRAINT "FK_c50d4b0c7fa017188de216142af" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "known_ips" DROP CONSTRAINT "FK_c50d4b0c7fa017188de216142af"`);
    await queryRunner.query(`ALTER TABLE "sessions" DROP COLUMN "rotation_required"`);
    await queryRunner.query(`DROP TABLE "known_ips"`);
  }
}
