import { Injectable } from '@nestjs/common';
import { ResealCount, SealedData, SealedDataHandler } from '../common/sealed-data';

/**
 * The codes' keyed hashes (`Cipher.tag`) cannot be recomputed: the code is not kept. A code is
 * checked against its hash under either key while one is rotated (CodeHasher), and lives at most
 * 15 minutes: waiting that long after the switch before dropping the previous key loses none.
 */
@SealedData({ sealed: [], shortLivedTags: ['email_sign_in_codes.code_hash'] })
@Injectable()
export class EmailSignInSealedData implements SealedDataHandler {
  reseal(): Promise<ResealCount> {
    return Promise.resolve({ seen: 0, resealed: 0, unreadable: 0 });
  }
}
