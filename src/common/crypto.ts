import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** A secret for a client to hold: 32 random bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Bearer credentials starting with this are API keys. */
export const API_KEY_PREFIX = 'ak_';

/** Bearer credentials starting with this are an organization's SCIM tokens: only /scim/v2 takes them. */
export const SCIM_TOKEN_PREFIX = 'scim_';

/** A session token: never one that reads as an API key or a SCIM token (base64url can start with either). */
export function generateSessionToken(next: () => string = generateToken): string {
  for (;;) {
    const token = next();
    if (!token.startsWith(API_KEY_PREFIX) && !token.startsWith(SCIM_TOKEN_PREFIX)) return token;
  }
}

/** What the database keeps of a token: its SHA-256. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM. The sealed form is version byte, IV, tag, ciphertext. Associated data binds a
 * ciphertext to its purpose, so one sealed for the outbox cannot be replayed as a TOTP secret.
 */
export class Cipher {
  private readonly tagKey: Buffer;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
    this.tagKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'authd tags', 32));
  }

  /**
   * A keyed hash (HMAC-SHA256 under a key derived from the encryption key) that finds a value again
   * without storing it, e.g. the mails queued for an address being erased. Without the key, a
   * list of likely addresses cannot be matched against it.
   */
  tag(value: string, purpose: string): Buffer {
    return createHmac('sha256', this.tagKey).update(`${purpose}\0${value}`).digest();
  }

  seal(plaintext: Buffer, associatedData: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), ciphertext]);
  }

  open(sealed: Buffer, associatedData: string): Buffer {
    if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) {
      throw new Error('not a sealed value');
    }
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
