import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hashes of every address an account has had (user_addresses), starting from the current ones
 * and the verified ones a pending change may return to; `address_sha256` is the same hash in SQL
 * (SHA-256 of the UTF-8 bytes), declared immutable so the audit log can index what it finds by it:
 * the address in `actor_email` and in `details.email`. An account's current address is taken to be
 * held since its last recorded change of address at the latest.
 */
export class AddressHistory1796800000000 implements MigrationInterface {
  name = 'AddressHistory1796800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE FUNCTION address_sha256(address text) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
         AS $$ SELECT sha256(convert_to(address, 'UTF8')) $$`,
    );
    await queryRunner.query(
      `CREATE TABLE "user_addresses" ("user_id" uuid NOT NULL, "address_hash" bytea NOT NULL, "held_since" TIMESTAMP WITH TIME ZONE NOT NULL, "verified_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_user_addresses" PRIMARY KEY ("user_id", "address_hash"))`,
    );
    await queryRunner.query(`CREATE INDEX "user_addresses_address_hash_idx" ON "user_addresses" ("address_hash") `);
    await queryRunner.query(
      `ALTER TABLE "user_addresses" ADD CONSTRAINT "FK_7a5100ce0548ef27a6f1533a5ce" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `INSERT INTO "user_addresses" (user_id, address_hash, held_since, verified_at)
       SELECT u.id, address_sha256(u.email),
              GREATEST(u.created_at, u.email_changed_at,
                       (SELECT max(a.created_at) FROM audit_log a WHERE a.actor_id = u.id AND a.action = 'user.email_changed')),
              u.email_verified_at
         FROM users u`,
    );
    await queryRunner.query(
      `INSERT INTO "user_addresses" (user_id, address_hash, held_since, verified_at)
       SELECT id, address_sha256(previous_email), created_at, COALESCE(email_changed_at, created_at)
         FROM users WHERE previous_email IS NOT NULL
       ON CONFLICT DO NOTHING`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_log_actor_email_sha256_idx" ON "audit_log" (address_sha256(actor_email)) WHERE actor_email IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "audit_log_details_email_sha256_idx" ON "audit_log" (address_sha256(details->>'email')) WHERE details ? 'email'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."audit_log_details_email_sha256_idx"`);
    await queryRunner.query(`DROP INDEX "public"."audit_log_actor_email_sha256_idx"`);
    await queryRunner.query(`ALTER TABLE "user_addresses" DROP CONSTRAINT "FK_7a5100ce0548ef27a6f1533a5ce"`);
    await queryRunner.query(`DROP INDEX "public"."user_addresses_address_hash_idx"`);
    await queryRunner.query(`DROP TABLE "user_addresses"`);
    await queryRunner.query(`DROP FUNCTION address_sha256(text)`);
  }
}
