import { MigrationInterface, QueryRunner } from 'typeorm';

/** The check value of the key the database's sealed data is under: one row, recorded at the first start. */
export class EncryptionKeyCheck1797460000000 implements MigrationInterface {
  name = 'EncryptionKeyCheck1797460000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "encryption_key_check" ("id" smallint NOT NULL, "check_value" bytea NOT NULL,
        "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "encryption_key_check_one_row" CHECK (id = 1),
        CONSTRAINT "PK_encryption_key_check_id" PRIMARY KEY ("id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "encryption_key_check"`);
  }
}
