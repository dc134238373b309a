import { createHash } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { Metrics } from '../common/metrics';
import { MailContexts, MailRenderer, MailTemplate } from './mail-templates';
import { OutboxRepository } from './outbox.repository';

export const OUTBOX_AAD = 'mail-outbox';

export interface SealedMail {
  to: string;
  subject: string;
  html: string;
  text: string;
}

/** Queues mail in the caller's transaction: it goes out once that commits, and never if it rolls back. */
@Injectable()
export class OutboxService implements OnModuleInit {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly renderer: MailRenderer,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /** The backlog of the outbox, in the metrics (`authd_outbox_pending{outbox="mail"}`, oldest age). */
  onModuleInit(): void {
    this.metrics.registerOutbox('mail', async () => {
      const { pending, oldest } = await this.outbox.backlog();
      const oldestAgeSeconds = oldest ? Math.max(0, (this.clock.now().getTime() - oldest.getTime()) / 1000) : 0;
      return { pending, oldestAgeSeconds };
    });
  }

  async enqueue<T extends MailTemplate>(to: string, template: T, context: MailContexts[T]): Promise<void> {
    const mail: SealedMail = { to, ...this.renderer.render(template, context) };
    const now = this.clock.now();
    await this.outbox.enqueue({
      template,
      payload: this.cipher.seal(Buffer.from(JSON.stringify(mail), 'utf8'), OUTBOX_AAD),
      recipientTag: this.recipientTag(to),
      createdAt: now,
      nextAttemptAt: now,
    });
  }

  /**
   * Mail queued for these addresses, or for an address whose SHA-256 is among `addressHashes` (as
   * `address_sha256` has it), and not yet delivered is dropped (their account is being erased).
   */
  forgetUnsentTo(addresses: string[], addressHashes: Buffer[] = []): Promise<void> {
    return this.outbox.deleteUnsentTo([
      ...addresses.map((address) => this.recipientTag(address)),
      ...addressHashes.map((hash) => this.tagOfHash(hash)),
    ]);
  }

  /**
   * Keyed over the address's SHA-256 rather than the address, so that mail to an address the account
   * had before, known only by that hash, is found too.
   */
  private recipientTag(address: string): Buffer {
    return this.tagOfHash(createHash('sha256').update(address.toLowerCase(), 'utf8').digest());
  }

  private tagOfHash(hash: Buffer): Buffer {
    return this.cipher.tag(hash.toString('hex'), 'mail-recipient');
  }
}
