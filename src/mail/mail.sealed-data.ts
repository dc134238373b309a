import { Injectable } from '@nestjs/common';
import { ResealCount, SealedData, SealedDataHandler } from '../common/sealed-data';
import { OutboxService } from './outbox.service';

/**
 * Queued mail: its payload is sealed, and its recipient tag (keyed) finds it for an erasure. A mail
 * given up keeps its tag without a payload: that tag cannot be recomputed, and once the previous key
 * is dropped it matches no address (the row holds nothing else about anyone).
 */
@SealedData({ sealed: ['mail_outbox.payload'], tags: ['mail_outbox.recipient_tag'] })
@Injectable()
export class MailSealedData implements SealedDataHandler {
  constructor(private readonly outbox: OutboxService) {}

  reseal(): Promise<ResealCount> {
    return this.outbox.reseal();
  }
}
