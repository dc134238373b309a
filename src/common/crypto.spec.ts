import { API_KEY_PREFIX, Cipher, SCIM_TOKEN_PREFIX, generateSessionToken, generateToken, hashToken } from './crypto';

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

describe('session tokens', () => {
  it('never start like an API key: such a draw is thrown away', () => {
    const draws = [`${API_KEY_PREFIX}${'a'.repeat(40)}`, `${API_KEY_PREFIX}${'b'.repeat(40)}`, 'c'.repeat(43)];
    expect(generateSessionToken(() => draws.shift()!)).toBe('c'.repeat(43));
    expect(generateSessionToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never start like a SCIM token either', () => {
    const draws = [`${SCIM_TOKEN_PREFIX}${'a'.repeat(38)}`, 'd'.repeat(43)];
    expect(generateSessionToken(() => draws.shift()!)).toBe('d'.repeat(43));
  });
});
