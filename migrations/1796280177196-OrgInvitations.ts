import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Membership by invitation: an invitation per organization and address, its token kept only as a
 * SHA-256, expiring; it goes with its organization, and loses its inviter when that account is erased.
 */
export class OrgInvitations1796280177196 implements MigrationInterface {
  name = 'OrgInvitations1796280177196';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "org_invitations" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "org_id" uuid NOT NULL, "email" character varying(320) NOT NULL, "role" character varying(16) NOT NULL, "token_hash" bytea NOT NULL, "invited_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "UQ_51b15c6db01c198b25054e62066" UNIQUE ("token_hash"), CONSTRAINT "PK_816479c04d050bf432016a5007d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "org_invitations_invited_by_idx" ON "org_invitations"  ("invited_by") `);
    await queryRunner.query(`CREATE INDEX "org_invitations_email_idx" ON "org_invitations"  ("email") `);
    await queryRunner.query(`CREATE INDEX "org_invitations_expires_at_idx" ON "org_invitations"  ("expires_at") `);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "org_invitations_org_id_email_key" ON "org_invitations"  ("org_id", "email") `,
    );
    await queryRunner.query(
      `ALTER TABLE "org_invitations" ADD CONSTRAINT "FK_f8b8fa9c8398fe6f397d0e78cbe" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "org_invitations" ADD CONSTRAINT "FK_4290ad5c06444b2b4d9c99eb14f" FOREIGN KEY ("invited_by") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "org_invitations" DROP CONSTRAINT "FK_4290ad5c06444b2b4d9c99eb14f"`);
    await queryRunner.query(`ALTER TABLE "org_invitations" DROP CONSTRAINT "FK_f8b8fa9c8398fe6f397d0e78cbe"`);
    await queryRunner.query(`DROP INDEX "public"."org_invitations_org_id_email_key"`);
    await queryRunner.query(`DROP INDEX "public"."org_invitations_expires_at_idx"`);
    await queryRunner.query(`DROP INDEX "public"."org_invitations_email_idx"`);
    await queryRunner.query(`DROP INDEX "public"."org_invitations_invited_by_idx"`);
    await queryRunner.query(`DROP TABLE "org_invitations"`);
  }
}
