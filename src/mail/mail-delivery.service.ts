import { Injectable, Logger } from '@nestjs/common';
import { MailerService } from '@nestjs-modules/mailer';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { describeError } from '../common/describe-error';
import { Sql } from '../database/sql';
import { deleteInBatches } from '../tasks/batch';
import { OUTBOX_AAD, SealedMail } from './outbox.service';

const BATCH_SIZE = 20;
/** A claimed mail not finished by then (the sender died) is claimed again by someone else. */
const LEASE_MS = 2 * 60_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 60 * 60_000;
/** Delivered rows (already scrubbed) are kept this long for the record, then deleted. */
const KEEP_SENT_MS = 7 * 24 * 60 * 60_000;

interface ClaimedRow {
  id: string;
  template: string;
  payload: Buffer;
  attempts: number;
}

export interface DeliveryCounts {
  sent: number;
  failed: number;
}

/** Sends due outbox mail. Any number of deliverers can run: each claims rows with SKIP LOCKED. */
@Injectable()
export class MailDelivery {
  private readonly logger = new Logger('Mail');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sql: Sql,
    private readonly mailer: MailerService,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
  ) {}

  /** Delivers everything due now, batch by batch. */
  async deliverDue(): Promise<DeliveryCounts> {
    const counts: DeliveryCounts = { sent: 0, failed: 0 };
    for (;;) {
      const batch = await this.claim();
      for (const row of batch) {
        if (await this.send(row)) counts.sent++;
        else counts.failed++;
      }
      if (batch.length < BATCH_SIZE) return counts;
    }
  }

  /** Deletes delivered rows past their keeping time, in batches. */
  pruneSent(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - KEEP_SENT_MS);
    return deleteInBatches(this.sql, 'mail_outbox', 'sent_at IS NOT NULL AND sent_at < $1', [before]);
  }

  private async claim(): Promise<ClaimedRow[]> {
    const now = this.clock.now();
    const [rows] = await this.dataSource.query(
      `UPDATE mail_outbox SET locked_until = $2, attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM mail_outbox
           WHERE sent_at IS NULL AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
           ORDER BY next_attempt_at, id
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
        RETURNING id, template, payload, attempts`,
      [now, new Date(now.getTime() + LEASE_MS), BATCH_SIZE],
    );
    return rows as ClaimedRow[];
  }

  private async send(row: ClaimedRow): Promise<boolean> {
    try {
      const mail = JSON.parse(this.cipher.open(row.payload, OUTBOX_AAD).toString('utf8')) as SealedMail;
      await this.mailer.sendMail({ to: mail.to, subject: mail.subject, html: mail.html, text: mail.text });
      await this.dataSource.query(
        `UPDATE mail_outbox SET sent_at = $2, payload = NULL, locked_until = NULL, last_error = NULL WHERE id = $1`,
        [row.id, this.clock.now()],
      );
      this.logger.log({ mailId: row.id, template: row.template, attempt: row.attempts, msg: 'mail sent' });
      return true;
    } catch (error) {
      const delay = Math.min(FIRST_RETRY_MS * 2 ** (row.attempts - 1), MAX_RETRY_MS);
      const next = new Date(this.clock.now().getTime() + delay);
      const reason = describe(error);
      await this.dataSource.query(
        `UPDATE mail_outbox SET next_attempt_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1`,
        [row.id, next, reason],
      );
      this.logger.warn({
        mailId: row.id,
        template: row.template,
        attempt: row.attempts,
        retryAt: next,
        reason,
        msg: 'mail not sent',
      });
      return false;
    }
  }
}

/** The error's own words, short; never the mail itself. */
function describe(error: unknown): string {
  const { errorCode, type, message } = describeError(error);
  return `${errorCode ?? type}: ${message}`.slice(0, 500);
}
