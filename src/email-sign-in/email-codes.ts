import { randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Cipher } from '../common/crypto';

/** Wrong codes a row takes; the fifth ends it. */
export const MAX_CODE_ATTEMPTS = 5;

/** Six random digits, leading zeros kept. */
export function generateCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/** A new row's id: chosen before the insert, as its code's hash mixes it in. */
export function newCodeId(): string {
  return randomUUID();
}

/** A code as people type it: spaces and dashes between the digits are theirs, not the code's. */
export function normaliseCode(code: string): string {
  return code.replace(/[\s-]+/g, '');
}

/**
 * What is kept of a code: HMAC-SHA256 under a key derived from ENCRYPTION_KEY, over the row id and
 * the code. A million codes are quickly hashed, so a plain hash would give a leaked table away; the
 * key keeps them out of reach, and the id makes one row's hash useless for any other.
 */
@Injectable()
export class CodeHasher {
  constructor(private readonly cipher: Cipher) {}

  hash(id: string, code: string): Buffer {
    return this.cipher.tag(`${id}\0${code}`, 'email-code');
  }

  /** Compared in constant time, under either key while one is rotated (a code may predate the switch). */
  matches(id: string, code: string, stored: Buffer): boolean {
    let matched = false;
    for (const candidate of this.cipher.tags(`${id}\0${normaliseCode(code)}`, 'email-code')) {
      if (candidate.length === stored.length && timingSafeEqual(candidate, stored)) matched = true;
    }
    return matched;
  }
}
