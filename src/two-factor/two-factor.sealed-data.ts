import { Injectable } from '@nestjs/common';
import { Cipher } from '../common/crypto';
import { ResealCount, resealInBatches, SealedData, SealedDataHandler } from '../common/sealed-data';
import { TwoFactorRepository } from './two-factor.repository';
import { totpSecretPurpose } from './two-factor.service';

/** TOTP secrets, pending and enabled: sealed for their user (`totp:<user id>`). */
@SealedData({ sealed: ['totp_factors.secret'] })
@Injectable()
export class TwoFactorSealedData implements SealedDataHandler {
  constructor(
    private readonly repository: TwoFactorRepository,
    private readonly cipher: Cipher,
  ) {}

  reseal(): Promise<ResealCount> {
    return resealInBatches(
      (after, limit) => this.repository.secretsNotUnder(this.cipher.currentPrefix, after, limit),
      async (row) => {
        const purpose = totpSecretPurpose(row.key);
        return this.repository.replaceSecret(row.key, row.secret, this.cipher.reseal(row.secret, purpose)!);
      },
    );
  }
}
