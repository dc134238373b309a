import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { MailerService } from '@nestjs-modules/mailer';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { describeError } from '../common/describe-error';
import { OutboxRelay } from '../tasks';
import { ClaimedMail, OUTBOX_CHANNEL, OutboxRepository } from './outbox.repository';
import { OUTBOX_AAD, SealedMail } from './outbox.service';

const BATCH_SIZE = 20;
/** A claimed mail not finished by then (the sender died) is claimed again by someone else. */
const LEASE_MS = 2 * 60_000;
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 60 * 60_000;
/** Attempts before a mail is given up (about two hours of backoff): a mail that late is of no use. */
export const MAX_ATTEMPTS = 8;
/** Delivered rows (already scrubbed) are kept this long for the record, then deleted. */
const KEEP_SENT_MS = 7 * 24 * 60 * 60_000;

export interface DeliveryCounts {
  sent: number;
  failed: number;
}

/** Sends due outbox mail. Any number of deliverers can run: each claims rows with SKIP LOCKED. */
@Injectable()
export class MailDelivery implements OnModuleInit {
  private readonly logger = new Logger('Mail');

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly mailer: MailerService,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly relay: OutboxRelay,
  ) {}

  /** Committed mail is sent right away by the relay; the deliver-mail task retries. */
  onModuleInit(): void {
    this.relay.register(OUTBOX_CHANNEL, () => this.deliverDue());
  }

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
    return this.outbox.deleteSentBefore(before);
  }

  private claim(): Promise<ClaimedMail[]> {
    const now = this.clock.now();
    return this.outbox.claimDue(now, new Date(now.getTime() + LEASE_MS), BATCH_SIZE);
  }

  private async send(row: ClaimedMail): Promise<boolean> {
    try {
      const mail = JSON.parse(this.cipher.open(row.payload, OUTBOX_AAD).toString('utf8')) as SealedMail;
      await this.mailer.sendMail({ to: mail.to, subject: mail.subject, html: mail.html, text: mail.text });
      await this.outbox.markSent(row.id, this.clock.now());
      this.logger.log({ mailId: row.id, template: row.template, attempt: row.attempts, msg: 'mail sent' });
      return true;
    } catch (error) {
      const reason = describe(error);
      const permanent = isPermanentRefusal(error);
      if (permanent || row.attempts >= MAX_ATTEMPTS) {
        await this.outbox.markFailed(row.id, this.clock.now(), reason);
        this.logger.error({
          mailId: row.id,
          template: row.template,
          attempt: row.attempts,
          reason,
          msg: permanent ? 'mail refused for good, given up' : 'mail given up after too many attempts',
        });
        return false;
      }
      const delay = Math.min(FIRST_RETRY_MS * 2 ** (row.attempts - 1), MAX_RETRY_MS);
      const next = new Date(this.clock.now().getTime() + delay);
      await this.outbox.scheduleRetry(row.id, next, reason);
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

/**
 * A 5xx reply to the recipient or the message (550 mailbox unavailable, 553 bad address, 554
 * refused) will be the same next time. A 5xx at connection or authentication (535: our SMTP
 * settings are wrong), 4xx replies and connection failures are worth another try.
 */
function isPermanentRefusal(error: unknown): boolean {
  const { responseCode, command } = (error ?? {}) as { responseCode?: unknown; command?: unknown };
  const stage = typeof command === 'string' ? command.toUpperCase() : '';
  const aboutTheMail = stage.startsWith('RCPT') || stage === 'DATA' || stage === 'MESSAGE';
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600 && aboutTheMail;
}

/** The error's own words, short; never the mail itself. */
function describe(error: unknown): string {
  const { errorCode, type, message } = describeError(error);
  return `${errorCode ?? type}: ${message}`.slice(0, 500);
}
