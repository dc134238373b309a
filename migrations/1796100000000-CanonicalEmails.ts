import { MigrationInterface, QueryRunner } from 'typeorm';
import { canonicalEmail } from '../src/common/email-address';

/**
 * Addresses were stored trimmed and lower-cased only, so an internationalised domain or an NFD
 * spelling could be stored apart from its canonical form. Rewrites each one to the canonical form,
 * unless another account already holds that form (the unique index stays consistent; such a pair is
 * left for an operator to merge) or the address has none (no longer accepted, but kept: its owner can
 * still sign in with it as stored and move to a valid address). Pending verification links follow.
 */
export class CanonicalEmails1796100000000 implements MigrationInterface {
  name = 'CanonicalEmails1796100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Canonical addresses are ASCII; only rows with other characters can differ from it.
    const rows: { id: string; email: string }[] = await queryRunner.query(
      `SELECT id, email FROM users WHERE email !~ '^[\\x21-\\x7e]*$'`,
    );
    for (const { id, email } of rows) {
      const canonical = canonicalEmail(email);
      if (!canonical || canonical === email) continue;
      const moved: unknown[] = await queryRunner.query(
        `UPDATE users SET email = $2 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE email = $2) RETURNING id`,
        [id, canonical],
      );
      if (moved.length > 0) {
        await queryRunner.query(`UPDATE verification_tokens SET email = $3 WHERE user_id = $1 AND email = $2`, [
          id,
          email,
          canonical,
        ]);
      }
    }
  }

  public async down(): Promise<void> {
    // The former spellings are not kept; the canonical ones are valid addresses under the old rules too.
  }
}
