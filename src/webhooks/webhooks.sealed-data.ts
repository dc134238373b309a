import { Injectable } from '@nestjs/common';
import { Cipher } from '../common/crypto';
import { ResealCount, resealInBatches, SealedData, SealedDataHandler } from '../common/sealed-data';
import { WebhooksRepository } from './webhooks.repository';
import { endpointSecretAad } from './webhooks.service';

/** The signing secrets of webhook endpoints. */
@SealedData({ sealed: ['webhook_endpoints.secret'] })
@Injectable()
export class WebhooksSealedData implements SealedDataHandler {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly cipher: Cipher,
  ) {}

  reseal(): Promise<ResealCount> {
    return resealInBatches(
      (after, limit) => this.repository.secretsNotUnder(this.cipher.currentPrefix, after, limit),
      async (row) =>
        this.repository.replaceSecret(row.key, row.secret, this.cipher.reseal(row.secret, endpointSecretAad(row.key))!),
    );
  }
}
