import { MigrationInterface, QueryRunner } from 'typeorm';

/** SCIM 2.0 provisioning: an organization's bearer tokens, and its directory's users, groups and memberships. */
export class Scim1797410000000 implements MigrationInterface {
  name = 'Scim1797410000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "scim_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "name" character varying(100) NOT NULL, "token_hash" bytea NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_2f0bba718f72bfe82a482a10934" UNIQUE ("token_hash"), CONSTRAINT "PK_5e368798dfa88b0d9fb185e8901" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "scim_tokens_org_id_idx" ON "scim_tokens"  ("org_id") `);
    await queryRunner.query(
      `CREATE TABLE "scim_users" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "user_id" uuid NOT NULL, "external_id" character varying(256), "given_name" character varying(200), "family_name" character varying(200), "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_341175fd19feb0f3ea0d50097e3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "scim_users_user_id_idx" ON "scim_users"  ("user_id") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "scim_users_org_external_id_idx" ON "scim_users"  ("org_id", "external_id") WHERE external_id IS NOT NULL`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "scim_users_org_user_idx" ON "scim_users"  ("org_id", "user_id") `);
    await queryRunner.query(
      `CREATE TABLE "scim_groups" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "display_name" character varying(256) NOT NULL, "external_id" character varying(256), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_8bacda70f9d3c4028b3abe53874" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "scim_groups_org_name_idx" ON "scim_groups"  ("org_id", "display_name") `,
    );
    await queryRunner.query(
      `CREATE TABLE "scim_group_members" ("group_id" uuid NOT NULL, "scim_user_id" uuid NOT NULL, CONSTRAINT "PK_6e2a224683b74131df856c4a994" PRIMARY KEY ("group_id", "scim_user_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "scim_group_members_user_idx" ON "scim_group_members"  ("scim_user_id") `);
    await queryRunner.query(
      `ALTER TABLE "scim_tokens" ADD CONSTRAINT "FK_4e51d800600f6b1b974ebdb7282" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_users" ADD CONSTRAINT "FK_9d78f0d4200c815ba5ae77fe77e" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_users" ADD CONSTRAINT "FK_c3073abd55c09b51fb5873ef040" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_groups" ADD CONSTRAINT "FK_b98f7edefbec79529f253057273" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_group_members" ADD CONSTRAINT "FK_e789fd51be503273b27723fd9a9" FOREIGN KEY ("group_id") REFERENCES "scim_groups"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "scim_group_members" ADD CONSTRAINT "FK_9bda392b80ac9918f8020d8d541" FOREIGN KEY ("scim_user_id") REFERENCES "scim_users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scim_group_members" DROP CONSTRAINT "FK_9bda392b80ac9918f8020d8d541"`);
    await queryRunner.query(`ALTER TABLE "scim_group_members" DROP CONSTRAINT "FK_e789fd51be503273b27723fd9a9"`);
    await queryRunner.query(`ALTER TABLE "scim_groups" DROP CONSTRAINT "FK_b98f7edefbec79529f253057273"`);
    await queryRunner.query(`ALTER TABLE "scim_users" DROP CONSTRAINT "FK_c3073abd55c09b51fb5873ef040"`);
    await queryRunner.query(`ALTER TABLE "scim_users" DROP CONSTRAINT "FK_9d78f0d4200c815ba5ae77fe77e"`);
    await queryRunner.query(`ALTER TABLE "scim_tokens" DROP CONSTRAINT "FK_4e51d800600f6b1b974ebdb7282"`);
    await queryRunner.query(`DROP INDEX "public"."scim_group_members_user_idx"`);
    await queryRunner.query(`DROP TABLE "scim_group_members"`);
    await queryRunner.query(`DROP INDEX "public"."scim_groups_org_name_idx"`);
    await queryRunner.query(`DROP TABLE "scim_groups"`);
    await queryRunner.query(`DROP INDEX "public"."scim_users_org_user_idx"`);
    await queryRunner.query(`DROP INDEX "public"."scim_users_org_external_id_idx"`);
    await queryRunner.query(`DROP INDEX "public"."scim_users_user_id_idx"`);
    await queryRunner.query(`DROP TABLE "scim_users"`);
    await queryRunner.query(`DROP INDEX "public"."scim_tokens_org_id_idx"`);
    await queryRunner.query(`DROP TABLE "scim_tokens"`);
  }
}
