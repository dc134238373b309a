import { Cipher } from '../common/crypto';
import { CodeHasher } from './email-codes';

describe('CodeHasher during a key rotation', () => {
  const A = Buffer.alloc(32, 0xa);
  const B = Buffer.alloc(32, 0xb);
  const id = '5d0c1c52-8f7e-4d8b-9a57-1a2b3c4d5e6f';

  it('checks a code hashed under the previous key, and hashes new codes under the current one', () => {
    const underA = new CodeHasher(new Cipher(A)).hash(id, '123456');
    const rotating = new CodeHasher(new Cipher(B, A));
    expect(rotating.matches(id, '123 456', underA)).toBe(true);
    expect(rotating.matches(id, '654321', underA)).toBe(false);
    expect(rotating.hash(id, '123456').equals(new CodeHasher(new Cipher(B)).hash(id, '123456'))).toBe(true);
    // Once the previous key is dropped, the old hash matches nothing.
    expect(new CodeHasher(new Cipher(B)).matches(id, '123456', underA)).toBe(false);
  });
});
