import { createHash } from 'node:crypto';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { Metrics } from '../common/metrics';
import { ResealCount, resealInBatches } from '../common/sealed-data';
import { MailContexts, MailRenderer, MailTemplate } from './mail-templates';
import { OutboxRepository } from './outbox.repository';

export const OUTBOX_AAD = 'mail-outbox';
const RECIPIENT_TAG_PURPOSE = 'mail-recipient';

function addressHash(address: string): Buffer {
  return createHash('sha256').update(address.toLowerCase(), 'utf8').digest();
}

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
    // Under either key while one is rotated: a tag is recomputed only when its mail is resealed.
    return this.outbox.deleteUnsentTo([
      ...addresses.flatMap((address) => this.recipientTags(address)),
      ...addressHashes.flatMap((hash) => this.cipher.tags(hash.toString('hex'), RECIPIENT_TAG_PURPOSE)),
    ]);
  }

  /** Queued mail sealed under another key than the current one, sealed again, its recipient tag recomputed. */
  reseal(): Promise<ResealCount> {
    return resealInBatches(
      (after, limit) => this.outbox.sealedNotUnder(this.cipher.currentPrefix, after, limit),
      async (row) => {
        const plaintext = this.cipher.open(row.payload, OUTBOX_AAD);
        const mail = JSON.parse(plaintext.toString('utf8')) as SealedMail;
        return this.outbox.replaceSealed(
          row.key,
          row.payload,
          this.cipher.seal(plaintext, OUTBOX_AAD),
          this.recipientTag(mail.to),
        );
      },
    );
  }

  /**
   * Keyed over the address's SHA-256 rather than the address, so that mail to an address the account
   * had before, known only by that hash, is found too.
   */
  private recipientTag(address: string): Buffer {
    return this.tagOfHash(addressHash(address));
  }

  private recipientTags(address: string): Buffer[] {
    return this.cipher.tags(addressHash(address).toString('hex'), RECIPIENT_TAG_PURPOSE);
  }

  private tagOfHash(hash: Buffer): Buffer {
    return this.cipher.tag(hash.toString('hex'), RECIPIENT_TAG_PURPOSE);
  }
}
