import { createCipheriv, randomBytes } from 'node:crypto';
import {
  ADMIN_KEY_PREFIX,
  API_KEY_PREFIX,
  Cipher,
  generateSessionToken,
  generateToken,
  hashToken,
  keyCheckValue,
  SCIM_TOKEN_PREFIX,
  UnreadableSealedValue,
} from './crypto';

describe('tokens', () => {
  it('are 32 random bytes in base64url and hash to 32 bytes', () => {
    const token = generateToken();
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(token);
    expect(hashToken(token)).toHaveLength(32);
    expect(hashToken(token).equals(hashToken(token))).toBe(true);
  });
});

describe('Cipher', () => {
  const cipher = new Cipher(Buffer.alloc(32, 3));

  it('round-trips and never repeats a ciphertext', () => {
    const a = cipher.seal(Buffer.from('secret'), 'purpose');
    const b = cipher.seal(Buffer.from('secret'), 'purpose');
    expect(a.equals(b)).toBe(false);
    expect(cipher.open(a, 'purpose').toString()).toBe('secret');
  });

  it('refuses a tampered ciphertext, another purpose, or another key', () => {
    const sealed = cipher.seal(Buffer.from('secret'), 'purpose');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => cipher.open(tampered, 'purpose')).toThrow();
    expect(() => cipher.open(sealed, 'other')).toThrow();
    expect(() => new Cipher(Buffer.alloc(32, 4)).open(sealed, 'purpose')).toThrow();
  });
});

/** A value as the cipher sealed it before key ids: version 1, IV, tag, ciphertext. */
function sealVersion1(key: Buffer, plaintext: string, associatedData: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(1), iv, cipher.getAuthTag(), ciphertext]);
}

describe('Cipher keyring (rotation)', () => {
  const A = Buffer.alloc(32, 0xa);
  const B = Buffer.alloc(32, 0xb);
  const C = Buffer.alloc(32, 0xc);
  const onlyA = new Cipher(A);
  const rotating = new Cipher(B, A);
  const onlyB = new Cipher(B);

  it('seals version 2 with the current key id, and the prefix names the key', () => {
    const sealed = rotating.seal(Buffer.from('x'), 'p');
    expect(sealed[0]).toBe(2);
    expect(sealed.subarray(0, 5).equals(rotating.currentPrefix)).toBe(true);
    expect(rotating.currentPrefix.equals(onlyB.currentPrefix)).toBe(true);
    expect(rotating.currentPrefix.equals(onlyA.currentPrefix)).toBe(false);
    expect(rotating.isCurrent(sealed)).toBe(true);
    expect(onlyA.isCurrent(sealed)).toBe(false);
  });

  it('opens what either key sealed, and only the current key seals', () => {
    const underA = onlyA.seal(Buffer.from('old'), 'p');
    expect(rotating.open(underA, 'p').toString()).toBe('old');
    const underB = rotating.seal(Buffer.from('new'), 'p');
    expect(onlyB.open(underB, 'p').toString()).toBe('new');
    // An instance still on the old key, with the new one as its previous (step 1), opens it too.
    expect(new Cipher(A, B).open(underB, 'p').toString()).toBe('new');
    expect(() => onlyA.open(underB, 'p')).toThrow(UnreadableSealedValue);
    expect(() => onlyB.open(underA, 'p')).toThrow(UnreadableSealedValue);
  });

  it('opens a version-1 value under whichever key authenticates it, and no other', () => {
    const v1UnderA = sealVersion1(A, 'legacy a', 'p');
    const v1UnderB = sealVersion1(B, 'legacy b', 'p');
    expect(rotating.open(v1UnderA, 'p').toString()).toBe('legacy a');
    expect(rotating.open(v1UnderB, 'p').toString()).toBe('legacy b');
    expect(onlyA.open(v1UnderA, 'p').toString()).toBe('legacy a');
    expect(() => onlyA.open(v1UnderB, 'p')).toThrow(UnreadableSealedValue);
    expect(() => new Cipher(C).open(v1UnderA, 'p')).toThrow(UnreadableSealedValue);
    expect(() => rotating.open(v1UnderA, 'other purpose')).toThrow(UnreadableSealedValue);
  });

  it('reseals what another key (or no key id) sealed, and leaves current values alone', () => {
    const underA = onlyA.seal(Buffer.from('a'), 'p');
    const v1 = sealVersion1(A, 'v1', 'p');
    const resealed = rotating.reseal(underA, 'p')!;
    expect(rotating.isCurrent(resealed)).toBe(true);
    expect(onlyB.open(resealed, 'p').toString()).toBe('a');
    expect(onlyB.open(rotating.reseal(v1, 'p')!, 'p').toString()).toBe('v1');
    expect(rotating.reseal(resealed, 'p')).toBeUndefined();
    expect(() => rotating.reseal(sealVersion1(C, 'c', 'p'), 'p')).toThrow(UnreadableSealedValue);
  });

  it('tags under the current key, and finds tags of either key', () => {
    expect(rotating.tag('v', 'p').equals(onlyB.tag('v', 'p'))).toBe(true);
    const tags = rotating.tags('v', 'p');
    expect(tags).toHaveLength(2);
    expect(tags[0].equals(onlyB.tag('v', 'p'))).toBe(true);
    expect(tags[1].equals(onlyA.tag('v', 'p'))).toBe(true);
    expect(onlyA.tags('v', 'p')).toHaveLength(1);
    // Tags made before key ids are unchanged: the tag key is derived as it was.
    expect(onlyA.tag('v', 'p').equals(new Cipher(A).tag('v', 'p'))).toBe(true);
  });

  it('has check values that tell keys apart and reveal neither', () => {
    expect(rotating.checkValues.current.equals(keyCheckValue(B))).toBe(true);
    expect(rotating.checkValues.previous!.equals(keyCheckValue(A))).toBe(true);
    expect(onlyA.checkValues.previous).toBeUndefined();
    expect(keyCheckValue(A).equals(keyCheckValue(B))).toBe(false);
    expect(keyCheckValue(A).includes(A)).toBe(false);
    expect(keyCheckValue(A)).toHaveLength(32);
  });

  it('refuses the same key twice and a key of the wrong length', () => {
    expect(() => new Cipher(A, A)).toThrow(/previous encryption key is the current one/);
    expect(() => new Cipher(Buffer.alloc(16), A)).toThrow(/32 bytes/);
    expect(() => new Cipher(A, Buffer.alloc(31))).toThrow(/32 bytes/);
  });

  it('refuses what is not a sealed value', () => {
    expect(() => rotating.open(Buffer.from('short'), 'p')).toThrow(UnreadableSealedValue);
    expect(() => rotating.open(Buffer.alloc(40, 9), 'p')).toThrow(UnreadableSealedValue);
  });
});

describe('session tokens', () => {
  it('never start like an API or admin key: such a draw is thrown away', () => {
    const draws = [`${API_KEY_PREFIX}${'a'.repeat(40)}`, `${ADMIN_KEY_PREFIX}${'b'.repeat(39)}`, 'c'.repeat(43)];
    expect(generateSessionToken(() => draws.shift()!)).toBe('c'.repeat(43));
    expect(generateSessionToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never start like a SCIM token either', () => {
    const draws = [`${SCIM_TOKEN_PREFIX}${'a'.repeat(38)}`, 'd'.repeat(43)];
    expect(generateSessionToken(() => draws.shift()!)).toBe('d'.repeat(43));
  });
});
