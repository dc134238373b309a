import { Injectable } from '@nestjs/common';
import { Cipher } from '../common/crypto';
import { ResealCount, resealInBatches, SealedData, SealedDataHandler } from '../common/sealed-data';
import { sealingContext } from './signing-keys.service';
import { TokensRepository } from './tokens.repository';

/** The private halves of the JWT signing keys. */
@SealedData({ sealed: ['signing_keys.private_key'] })
@Injectable()
export class TokensSealedData implements SealedDataHandler {
  constructor(
    private readonly repository: TokensRepository,
    private readonly cipher: Cipher,
  ) {}

  reseal(): Promise<ResealCount> {
    return resealInBatches(
      (after, limit) => this.repository.privateKeysNotUnder(this.cipher.currentPrefix, after, limit),
      async (row) =>
        this.repository.replacePrivateKey(
          row.key,
          row.privateKey,
          this.cipher.reseal(row.privateKey, sealingContext(row.key))!,
        ),
    );
  }
}
