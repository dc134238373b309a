import { MigrationInterface, QueryRunner } from 'typeorm';
import { canonicalEmail } from '../src/common/email-address';

/**
 * CanonicalEmails kept the addresses that have no canonical form (a non-ASCII local part, say) as
 * they were stored, for their owners to sign in with and move to a valid address. Sign-in looks an
 * address up in NFC, so one stored in another normalisation form (NFD) could not be found: this
 * stores it in NFC, unless another account already holds that spelling. Pending verification links
 * follow.
 */
export class LegacyEmailsNfc1796400000000 implements MigrationInterface {
  name = 'LegacyEmailsNfc1796400000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const rows: { id: string; email: string }[] = await queryRunner.query(
      `SELECT id, email FROM users WHERE email !~ '^[\\x21-\\x7e]*$'`,
    );
    for (const { id, email } of rows) {
      const nfc = email.normalize('NFC');
      if (canonicalEmail(email) !== undefined || nfc === email) continue;
      const moved: unknown[] = await queryRunner.query(
        `UPDATE users SET email = $2 WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM users WHERE email = $2) RETURNING id`,
        [id, nfc],
      );
      if (moved.length > 0) {
        await queryRunner.query(`UPDATE verification_tokens SET email = $3 WHERE user_id = $1 AND email = $2`, [
          id,
          email,
          nfc,
        ]);
      }
    }
  }

  public async down(): Promise<void> {
    // The NFD spellings are not kept; the NFC ones were valid under the old rules too.
  }
}
