import { MigrationInterface, QueryRunner } from 'typeorm';

/** Each scheduled task runs once per period across every instance: the period claimed last, per task. */
export class TaskPeriods1797470000000 implements MigrationInterface {
  name = 'TaskPeriods1797470000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "task_periods" ("task" character varying(64) NOT NULL, "period" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_task_periods_task" PRIMARY KEY ("task"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "task_periods"`);
  }
}
