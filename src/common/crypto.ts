import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** A secret for a client to hold: 32 random bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Bearer credentials starting with this are API keys. */
export const API_KEY_PREFIX = 'ak_';

/** Bearer credentials starting with this are admin keys (operators', made on the command line). */
export const ADMIN_KEY_PREFIX = 'adm_';

/** Bearer credentials starting with this are an organization's SCIM tokens: only /scim/v2 takes them. */
export const SCIM_TOKEN_PREFIX = 'scim_';

const CREDENTIAL_PREFIXES = [API_KEY_PREFIX, ADMIN_KEY_PREFIX, SCIM_TOKEN_PREFIX];

/**
 * A session token: never one that reads as an API key, an admin key or a SCIM token (base64url can
 * start with any of them).
 */
export function generateSessionToken(next: () => string = generateToken): string {
  for (;;) {
    const token = next();
    if (!CREDENTIAL_PREFIXES.some((prefix) => token.startsWith(prefix))) return token;
  }
}

/** What the database keeps of a token: its SHA-256. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A value sealed before key ids: which key sealed it is not written down. */
const LEGACY_VERSION = 1;
/** Version byte, then the id of the key that sealed it. */
const VERSION = 2;
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What `open` throws for a value no key of the keyring opens (tampered, another purpose, or another key). */
export class UnreadableSealedValue extends Error {
  constructor(reason: string) {
    super(`the sealed value cannot be opened: ${reason}`);
    this.name = 'UnreadableSealedValue';
  }
}

/** One encryption key and what is derived from it. */
class Key {
  readonly id: Buffer;
  readonly tagKey: Buffer;
  readonly checkValue: Buffer;

  constructor(readonly secret: Buffer) {
    if (secret.length !== 32) throw new Error('the encryption key must be 32 bytes');
    this.id = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'authd key id', KEY_ID_BYTES));
    this.tagKey = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'authd tags', 32));
    this.checkValue = keyCheckValue(secret);
  }
}

/**
 * What the database keeps to recognise a key: HMAC-SHA256 under the key of a fixed text. It tells
 * whether two keys are the same and nothing about either (the key is 32 random bytes).
 */
export function keyCheckValue(key: Buffer): Buffer {
  return createHmac('sha256', key).update('authd key check').digest();
}

/**
 * AES-256-GCM under ENCRYPTION_KEY, with ENCRYPTION_KEY_PREVIOUS beside it while a key is rotated.
 * The sealed form is version byte (2), the sealing key's id (4 bytes derived from it), IV, tag,
 * ciphertext. A value sealed before key ids (version 1: version, IV, tag, ciphertext) is tried under
 * the current key, then the previous one: GCM's authentication makes a wrong key fail, never
 * answer garbage. Sealing always uses the current key. Associated data binds a ciphertext to its
 * purpose, so one sealed for the outbox cannot be replayed as a TOTP secret.
 */
export class Cipher {
  private readonly current: Key;
  private readonly previous: Key | undefined;
  /** What a value sealed under the current key starts with: the version byte and the key id. */
  readonly currentPrefix: Buffer;

  constructor(key: Buffer, previousKey?: Buffer) {
    this.current = new Key(key);
    this.previous = previousKey ? new Key(previousKey) : undefined;
    if (this.previous?.secret.equals(key)) throw new Error('the previous encryption key is the current one');
    if (this.previous?.id.equals(this.current.id)) {
      // One chance in four billion: a value's key id would not say which key sealed it.
      throw new Error('the two encryption keys have the same key id: generate another new key');
    }
    this.currentPrefix = Buffer.concat([Buffer.of(VERSION), this.current.id]);
  }

  /** The check value of the current key, and of the previous one when there is one. */
  get checkValues(): { current: Buffer; previous: Buffer | undefined } {
    return { current: this.current.checkValue, previous: this.previous?.checkValue };
  }

  /**
   * A keyed hash (HMAC-SHA256 under a key derived from the encryption key) that finds a value again
   * without storing it, e.g. the mails queued for an address being erased. Without the key, a
   * list of likely addresses cannot be matched against it. Under the current key: what is stored.
   */
  tag(value: string, purpose: string): Buffer {
    return tagUnder(this.current, value, purpose);
  }

  /**
   * The value's tag under each key of the keyring, current first: what a lookup searches for,
   * since a tag stored before a rotation is under the previous key until it is recomputed.
   */
  tags(value: string, purpose: string): Buffer[] {
    return [this.current, this.previous].filter((key) => key !== undefined).map((key) => tagUnder(key, value, purpose));
  }

  seal(plaintext: Buffer, associatedData: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.secret, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([this.currentPrefix, iv, cipher.getAuthTag(), ciphertext]);
  }

  /** Throws UnreadableSealedValue unless a key of the keyring opens it for this purpose. */
  open(sealed: Buffer, associatedData: string): Buffer {
    if (sealed.length >= 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES && sealed[0] === VERSION) {
      const id = sealed.subarray(1, 1 + KEY_ID_BYTES);
      const key = [this.current, this.previous].find((candidate) => candidate?.id.equals(id));
      if (!key) throw new UnreadableSealedValue('sealed under a key this keyring does not hold');
      return decrypt(key, sealed.subarray(1 + KEY_ID_BYTES), associatedData);
    }
    if (sealed.length >= 1 + IV_BYTES + TAG_BYTES && sealed[0] === LEGACY_VERSION) {
      for (const key of [this.current, this.previous]) {
        if (!key) continue;
        try {
          return decrypt(key, sealed.subarray(1), associatedData);
        } catch {
          // the other key, if any
        }
      }
      throw new UnreadableSealedValue('no key of the keyring authenticates it');
    }
    throw new UnreadableSealedValue('not a sealed value');
  }

  /** Whether the value was sealed under the current key (the ones `reseal` leaves alone). */
  isCurrent(sealed: Buffer): boolean {
    return sealed.subarray(0, this.currentPrefix.length).equals(this.currentPrefix);
  }

  /** The value sealed again under the current key; undefined when it already is. */
  reseal(sealed: Buffer, associatedData: string): Buffer | undefined {
    if (this.isCurrent(sealed)) return undefined;
    return this.seal(this.open(sealed, associatedData), associatedData);
  }
}

function tagUnder(key: Key, value: string, purpose: string): Buffer {
  return createHmac('sha256', key.tagKey).update(`${purpose}\0${value}`).digest();
}

/** `body` is IV, tag, ciphertext. */
function decrypt(key: Key, body: Buffer, associatedData: string): Buffer {
  try {
    const iv = body.subarray(0, IV_BYTES);
    const tag = body.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key.secret, iv);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new UnreadableSealedValue('it does not authenticate under its key');
  }
}
