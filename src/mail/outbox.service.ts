import { Injectable } from '@nestjs/common';
import { TransactionHost } from '../database/transactions';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { MailContexts, MailRenderer, MailTemplate } from './mail-templates';
import { OutboxMail } from './outbox.entity';

export const OUTBOX_CHANNEL = 'mail_outbox';
export const OUTBOX_AAD = 'mail-outbox';

export interface SealedMail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/**
 * Queues mail in the caller's transaction. NOTIFY inside a transaction is delivered only when it
 * commits, so the relay wakes for committed mail and never for rolled-back work.
 */
@Injectable()
export class OutboxService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly renderer: MailRenderer,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
  ) {}

  async enqueue<T extends MailTemplate>(to: string, template: T, context: MailContexts[T]): Promise<void> {
    const mail: SealedMail = { to, ...this.renderer.render(template, context) };
    const now = this.clock.now();
    await this.txHost.tx.getRepository(OutboxMail).insert({
      template,
      payload: this.cipher.seal(Buffer.from(JSON.stringify(mail), 'utf8'), OUTBOX_AAD),
      createdAt: now,
      nextAttemptAt: now,
    });
    await this.txHost.tx.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, '']);
  }
}
