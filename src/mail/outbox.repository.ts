import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import { deleteInBatches } from '../tasks/batch';
import { OutboxMail } from './outbox.entity';

/** The channel a commit that queued mail notifies, and the relay listens on. */
export const OUTBOX_CHANNEL = 'mail_outbox';

export type NewOutboxMail = Pick<OutboxMail, 'template' | 'createdAt' | 'nextAttemptAt'> & {
  payload: Buffer;
  recipientTag: Buffer;
};

/** A mail claimed for delivery; `attempts` counts this one. */
export interface ClaimedMail {
  id: string;
  template: string;
  payload: Buffer;
  attempts: number;
}

/** The mail outbox: queued mail, the claims of its senders, and the record of what went out. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly sql: Sql) {}

  /** Mail neither sent nor given up: how many, and when the oldest was queued (null: none). */
  async backlog(): Promise<{ pending: number; oldest: Date | null }> {
    const [row] = await this.sql.prepared<{ pending: number; oldest: Date | null }>(
      'outbox-backlog',
      `SELECT count(*)::int AS pending, min(created_at) AS oldest FROM mail_outbox
        WHERE sent_at IS NULL AND failed_at IS NULL`,
      [],
    );
    return row;
  }

  /**
   * Queues the mail and notifies the relay. NOTIFY inside a transaction is delivered only when it
   * commits, so the relay wakes for committed mail and never for rolled-back work.
   */
  async enqueue(mail: NewOutboxMail): Promise<void> {
    await this.sql.count(
      `INSERT INTO mail_outbox (template, payload, recipient_tag, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5)`,
      [mail.template, mail.payload, mail.recipientTag, mail.createdAt, mail.nextAttemptAt],
    );
    await this.sql.rows('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
  }

  /**
   * Claims up to `limit` mails due at `now` until `leaseUntil`, counting an attempt on each. Rows
   * another sender holds are skipped, so any number of senders can claim side by side.
   */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedMail[]> {
    return this.sql.rows<ClaimedMail>(
      `UPDATE mail_outbox SET locked_until = $2, attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM mail_outbox
           WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
             AND (locked_until IS NULL OR locked_until <= $1)
           ORDER BY next_attempt_at, id
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING id, template, payload, attempts`,
      [now, leaseUntil, limit],
    );
  }

  /** Records the delivery and scrubs the payload and recipient: a sent mail keeps no content. */
  async markSent(id: string, sentAt: Date): Promise<void> {
    await this.sql.count(
      `UPDATE mail_outbox SET sent_at = $2, payload = NULL, recipient_tag = NULL, locked_until = NULL, last_error = NULL WHERE id = $1`,
      [id, sentAt],
    );
  }

  /** Releases the claim and makes the mail due again at `nextAttemptAt`. */
  async scheduleRetry(id: string, nextAttemptAt: Date, lastError: string): Promise<void> {
    await this.sql.count(
      `UPDATE mail_outbox SET next_attempt_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1`,
      [id, nextAttemptAt, lastError],
    );
  }

  /**
   * Gives the mail up: it is never tried again, and its payload goes (the recipient tag stays, so
   * the erasure of the account still finds the row).
   */
  async markFailed(id: string, failedAt: Date, lastError: string): Promise<void> {
    await this.sql.count(
      `UPDATE mail_outbox SET failed_at = $2, payload = NULL, locked_until = NULL, last_error = $3 WHERE id = $1`,
      [id, failedAt, lastError],
    );
  }

  /** Deletes mail delivered or given up before `before`, in batches; answers how many went. */
  deleteSentBefore(before: Date): Promise<number> {
    return deleteInBatches(this.sql, 'mail_outbox', '(sent_at < $1 OR failed_at < $1)', [before]);
  }

  /** Drops the mail not yet delivered to these recipients. */
  async deleteUnsentTo(recipientTags: Buffer[]): Promise<void> {
    await this.sql.count('DELETE FROM mail_outbox WHERE sent_at IS NULL AND recipient_tag = ANY($1::bytea[])', [
      recipientTags,
    ]);
  }

  /** Queued mail whose payload is not sealed under the key `currentPrefix` names, after `after` in id order. */
  sealedNotUnder(currentPrefix: Buffer, after: string | null, limit: number): Promise<SealedOutboxRow[]> {
    return this.sql.rows<SealedOutboxRow>(
      `SELECT id::text AS key, payload FROM mail_outbox
        WHERE payload IS NOT NULL AND substring(payload from 1 for $1) <> $2 AND ($3::bigint IS NULL OR id > $3::bigint)
        ORDER BY id LIMIT $4`,
      [currentPrefix.length, currentPrefix, after, limit],
    );
  }

  /**
   * The payload sealed again and the recipient tag recomputed, if the row still holds `before` (a
   * sender may have delivered it meanwhile). A row without a tag keeps none.
   */
  async replaceSealed(id: string, before: Buffer, payload: Buffer, recipientTag: Buffer): Promise<boolean> {
    const count = await this.sql.count(
      `UPDATE mail_outbox SET payload = $3, recipient_tag = CASE WHEN recipient_tag IS NULL THEN NULL ELSE $4::bytea END
        WHERE id = $1 AND payload = $2`,
      [id, before, payload, recipientTag],
    );
    return count === 1;
  }
}

export interface SealedOutboxRow {
  key: string;
  payload: Buffer;
}
