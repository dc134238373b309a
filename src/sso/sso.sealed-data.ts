import { Injectable } from '@nestjs/common';
import { Cipher } from '../common/crypto';
import { ResealCount, resealInBatches, SealedData, SealedDataHandler } from '../common/sealed-data';
import { OIDC_SECRET_PURPOSE } from './oidc-connections.service';
import { SsoRepository } from './sso.repository';

/** The client secrets of OIDC connections. */
@SealedData({ sealed: ['oidc_connections.client_secret'] })
@Injectable()
export class SsoSealedData implements SealedDataHandler {
  constructor(
    private readonly repository: SsoRepository,
    private readonly cipher: Cipher,
  ) {}

  reseal(): Promise<ResealCount> {
    return resealInBatches(
      (after, limit) => this.repository.clientSecretsNotUnder(this.cipher.currentPrefix, after, limit),
      async (row) =>
        this.repository.replaceClientSecret(
          row.key,
          row.clientSecret,
          this.cipher.reseal(row.clientSecret, OIDC_SECRET_PURPOSE)!,
        ),
    );
  }
}
