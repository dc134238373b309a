import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { deleteInBatches } from '../tasks/batch';
import type { EmailCodePurpose } from './email-sign-in-code.entity';

/** A row to store; the address is canonical, the hashes computed. */
export interface NewEmailCode {
  id: string;
  email: string;
  userId: string | null;
  sessionId: string | null;
  tokenHash: Buffer | null;
  codeHash: Buffer;
  returnTo: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A live sign-in row, as verification reads it. */
export interface SignInCodeRow {
  id: string;
  email: string;
  returnTo: string | null;
}

/** A row whose code is being checked: its keyed hash and how many codes were tried, this one included. */
export interface CountedCodeRow {
  id: string;
  email: string;
  returnTo: string | null;
  codeHash: Buffer;
  attempts: number;
}

/** Unused, unexpired; a row whose tries ran out was ended (used_at set). */
const LIVE = 'used_at IS NULL AND expires_at > $2';

/** The email_sign_in_codes table. Time always comes in as a parameter (the injected clock). */
@Injectable()
export class EmailSignInRepository {
  constructor(private readonly sql: Sql) {}

  /** Stores a sign-in row, replacing the address's previous one, live or not (one per address). */
  async replaceSignIn(row: NewEmailCode): Promise<void> {
    await this.upsert(row, 'sign-in', `(email) WHERE purpose = 'sign-in'`);
  }

  /** Stores a step-up row, replacing the user's previous one (one per user). */
  async replaceStepUp(row: NewEmailCode): Promise<void> {
    await this.upsert(row, 'step-up', `(user_id) WHERE purpose = 'step-up'`);
  }

  private async upsert(row: NewEmailCode, purpose: EmailCodePurpose, conflict: string): Promise<void> {
    await this.sql.count(
      `INSERT INTO email_sign_in_codes
              (id, email, user_id, purpose, session_id, token_hash, code_hash, return_to, attempts, created_at, expires_at, used_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10, NULL)
       ON CONFLICT ${conflict} DO UPDATE SET
              id = EXCLUDED.id, email = EXCLUDED.email, user_id = EXCLUDED.user_id, session_id = EXCLUDED.session_id,
              token_hash = EXCLUDED.token_hash, code_hash = EXCLUDED.code_hash, return_to = EXCLUDED.return_to,
              attempts = 0, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at, used_at = NULL`,
      [
        row.id,
        row.email,
        row.userId,
        purpose,
        row.sessionId,
        row.tokenHash,
        row.codeHash,
        row.returnTo,
        row.createdAt,
        row.expiresAt,
      ],
    );
  }

  /** The live sign-in row of this link, without spending it (a page's GET, a missing second factor). */
  findLiveSignInByToken(tokenHash: Buffer, now: Date): Promise<SignInCodeRow | undefined> {
    return this.sql.one<SignInCodeRow>(
      `SELECT id, email, return_to AS "returnTo" FROM email_sign_in_codes
        WHERE token_hash = $1 AND purpose = 'sign-in' AND ${LIVE}`,
      [tokenHash, now],
    );
  }

  /**
   * Counts a code tried against the address's live sign-in row before it is checked, so codes sent
   * together cannot all be checked under the limit; undefined when there is no such row (or it has
   * had its tries).
   */
  countSignInCode(email: string, now: Date, maxAttempts: number): Promise<CountedCodeRow | undefined> {
    return this.sql.one<CountedCodeRow>(
      `UPDATE email_sign_in_codes SET attempts = attempts + 1
        WHERE email = $1 AND purpose = 'sign-in' AND ${LIVE} AND attempts < $3
        RETURNING id, email, return_to AS "returnTo", code_hash AS "codeHash", attempts`,
      [email, now, maxAttempts],
    );
  }

  /** Counts a code tried against the session's live step-up row, as countSignInCode does. */
  countStepUpCode(
    userId: string,
    sessionId: string,
    now: Date,
    maxAttempts: number,
  ): Promise<CountedCodeRow | undefined> {
    return this.sql.one<CountedCodeRow>(
      `UPDATE email_sign_in_codes SET attempts = attempts + 1
        WHERE user_id = $1 AND purpose = 'step-up' AND session_id = $4 AND ${LIVE} AND attempts < $3
        RETURNING id, email, return_to AS "returnTo", code_hash AS "codeHash", attempts`,
      [userId, now, maxAttempts, sessionId],
    );
  }

  /**
   * Counts a failure on a row without a code being tried (a wrong second factor after a right link
   * or code); the one that uses up its tries ends it.
   */
  async countFailure(id: string, now: Date, maxAttempts: number): Promise<void> {
    await this.sql.count(
      `UPDATE email_sign_in_codes
          SET attempts = attempts + 1, used_at = CASE WHEN attempts + 1 >= $3 THEN $2::timestamptz ELSE used_at END
        WHERE id = $1`,
      [id, now, maxAttempts],
    );
  }

  /** Takes back the count of a code that was right: only wrong codes use up the row's tries. */
  async uncount(id: string): Promise<void> {
    await this.sql.count('UPDATE email_sign_in_codes SET attempts = attempts - 1 WHERE id = $1 AND attempts > 0', [id]);
  }

  /** Ends a row at once (its last try was spent on a wrong code). */
  async end(id: string, now: Date): Promise<void> {
    await this.sql.count('UPDATE email_sign_in_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL', [id, now]);
  }

  /**
   * Spends the row in one statement, so of two concurrent uses one wins; false when it was used,
   * replaced, ended or has expired meanwhile.
   */
  async consume(id: string, now: Date): Promise<boolean> {
    const spent = await this.sql.rows<{ id: string }>(
      `UPDATE email_sign_in_codes SET used_at = $2 WHERE id = $1 AND ${LIVE} RETURNING id`,
      [id, now],
    );
    return spent.length > 0;
  }

  /** Deletes rows expired or used before `before`, a thousand at a time; answers how many went. */
  purgeBefore(before: Date): Promise<number> {
    return deleteInBatches(this.sql, 'email_sign_in_codes', 'expires_at < $1 OR used_at < $1', [before]);
  }

  /** Rows mailed to these accounts or to any address they have had (SHA-256, as address_sha256 has it). */
  async eraseUsers(userIds: string[], addressHashes: Buffer[]): Promise<void> {
    await this.sql.count(
      `DELETE FROM email_sign_in_codes
        WHERE user_id = ANY($1::uuid[]) OR address_sha256(email) = ANY($2::bytea[])`,
      [userIds, addressHashes],
    );
  }
}
