import { availableParallelism } from 'node:os';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import * as argon2 from 'argon2';
import { ValidateBy } from 'class-validator';
import { DomainError } from '../common/errors';
import { PASSWORD_LENGTH_CONSTRAINT } from '../common/validation';
import { Semaphore } from '../common/semaphore';
import { AppConfig } from '../config';
import { PasswordStrength } from './password-strength';

/** A right password: `legacy` when it matched only as typed, not in NFC (a hash from before normalisation). */
export type PasswordCheck = 'current' | 'legacy' | false;

const MIN_LENGTH = 8;
const MAX_LENGTH = 128;

/** The length rule of a new password (8–128 characters of its NFC form), checked as the body is validated. */
export function IsPasswordLength(): PropertyDecorator {
  return ValidateBy({
    name: PASSWORD_LENGTH_CONSTRAINT,
    validator: {
      validate: (value: unknown) => typeof value === 'string' && hasAcceptableLength(value),
      defaultMessage: (args) => `${args?.property ?? 'password'} must be ${MIN_LENGTH} to ${MAX_LENGTH} characters`,
    },
  });
}

function hasAcceptableLength(password: string): boolean {
  const length = [...password.normalize('NFC')].length;
  return length >= MIN_LENGTH && length <= MAX_LENGTH;
}
/** zxcvbn scores 0 and 1 mean "guessable in under a million tries": common passwords and their variants. */
const MIN_SCORE = 2;

/**
 * Password hashing and policy. New hashes are argon2id at the configured cost (OWASP's baseline
 * unless a test lowers it); verification reads the cost from the stored hash. argon2 runs on
 * libuv's thread pool; at most cores − 1 hashes run at once, so a burst of logins leaves a core
 * for the event loop and authenticated requests keep their latency.
 */
@Injectable()
export class PasswordService implements OnApplicationShutdown {
  private readonly hashing = new Semaphore(Math.max(1, availableParallelism() - 1));
  private readonly strength = new PasswordStrength();
  private readonly options: argon2.HashOptions;
  private dummyHash: Promise<string> | undefined;

  constructor(config: AppConfig) {
    this.options = { type: argon2.argon2id, ...config.passwordHashing };
  }

  /**
   * Throws weak_password unless the password is 8–128 characters and not common or easily guessed
   * (judged on its first 32 characters, off the event loop: see PasswordStrength). The check costs
   * CPU, so callers run it after the cheaper gates: rate limits, tokens, authentication.
   */
  async assertAcceptable(password: string, userInputs: string[] = []): Promise<void> {
    if (!hasAcceptableLength(password)) throw new DomainError('weak_password');
    if ((await this.strength.score(password, userInputs)) < MIN_SCORE) throw new DomainError('weak_password');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.strength.close();
  }

  /** Hashes the NFC form (NIST SP 800-63B 5.1.1.2), so every spelling of the same text is one password. */
  hash(password: string): Promise<string> {
    return this.hashing.run(() => argon2.hash(password.normalize('NFC'), this.options));
  }

  /**
   * Checks the NFC form; a hash made before passwords were normalised may hold another spelling, so
   * an input that is not NFC is also tried as typed: `legacy` says the hash should be made again
   * (hash() normalises). Wrong answers take as long as they would for an account that has no password.
   */
  async verify(hash: string, password: string): Promise<PasswordCheck> {
    const nfc = password.normalize('NFC');
    if (await this.verifyExactly(hash, nfc)) return 'current';
    if (nfc !== password && (await this.verifyExactly(hash, password))) return 'legacy';
    return false;
  }

  /** Spends the time of a real verification, for accounts that do not exist or have no password. */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= argon2.hash('no account has this password', this.options);
    await this.verify(await this.dummyHash, password);
    return false;
  }

  private verifyExactly(hash: string, password: string): Promise<boolean> {
    return this.hashing.run(() => argon2.verify(hash, password).catch(() => false));
  }
}
