import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a ceremony's challenge can be spent (docs/api.md: 5 minutes); also the browser's timeout. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export interface IssuedChallenge {
  /** What the browser signs, base64url. */
  challenge: string;
  bytes: Uint8Array<ArrayBuffer>;
  /** What is stored: SHA-256 of `challenge`. */
  hash: Buffer;
}

/** 32 random bytes: the challenge travels to the browser once and is kept only hashed. */
export function issueChallenge(): IssuedChallenge {
  const bytes = randomBytes(32);
  const challenge = bytes.toString('base64url');
  return { challenge, bytes: Uint8Array.from(bytes), hash: challengeHash(challenge) };
}

export function challengeHash(challenge: string): Buffer {
  return createHash('sha256').update(challenge, 'utf8').digest();
}

/** Whether the challenge a response signed is the one whose hash was stored (constant time). */
export function challengeMatches(storedHash: Buffer, challenge: string): boolean {
  const hash = challengeHash(challenge);
  return storedHash.length === hash.length && timingSafeEqual(storedHash, hash);
}

/**
 * The WebAuthn user handle of an account: its id's 16 bytes, no personal data (the spec forbids
 * an email there). A discoverable sign-in answers it, naming whose passkey signed.
 */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  const hex = userId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${userId}`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/**
 * A signature counter that went backwards (or stood still) means a cloned authenticator (WebAuthn
 * Level 3, 7.2 step 22). Many passkeys (synced ones) always send 0 and are never counted; but one
 * that counted once and now sends 0 has gone backwards too: a clone does not get past the check by
 * sending 0.
 */
export function counterAcceptable(stored: number, received: number): boolean {
  return (stored === 0 && received === 0) || received > stored;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
