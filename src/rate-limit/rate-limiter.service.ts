import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors';
import { Metrics } from '../common/metrics';
import { RATE_LIMITS, RateLimitName } from './rate-limits';
import { RateLimitStore, RateWindow } from './rate-limit.store';

/** An attempt consume() counted, and the window it was counted in. */
export interface CountedAttempt {
  key: string;
  resetAt: Date;
}

/** What a counter is keyed on: one value, or a pair whose first part is the account's. */
export type Subject = string | [accountPart: string, otherPart: string];

function digest(subject: string): Buffer {
  return createHash('sha256').update(subject).digest();
}

/** A SHA-256 as it appears in a key: its first 22 base64url characters (132 bits). */
function shorten(hash: Buffer): string {
  return hash.toString('base64url').slice(0, 22);
}

@Injectable()
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Counts an attempt, then refuses it with too_many_requests once the limit is passed. Counting
   * comes first, so attempts sent together cannot all slip past a check made before any counted.
   */
  async consume(name: RateLimitName, subject: Subject, options: { quiet?: boolean } = {}): Promise<CountedAttempt> {
    const rule = RATE_LIMITS[name];
    const key = this.key(name, subject);
    const window = await this.store.hit(key, rule.windowMs, this.clock.now());
    if (window.count > rule.limit) this.refuse(name, window, !options.quiet);
    return { key, resetAt: window.resetAt };
  }

  /**
   * Counts a refusal of a `quiet` consume() once it stands: the caller had another limit to fall
   * back on (AttemptLimiter.countSignIn) and found none.
   */
  recordRefusal(name: RateLimitName): void {
    this.metrics.rateLimitRefusals.inc({ limit: RATE_LIMITS[name].name });
  }

  /**
   * Counts one attempt against each limit in turn; when one refuses, the attempts already counted
   * are taken back, so a refusal by one limit spends nothing of the others.
   */
  async consumeAll(checks: Array<[name: RateLimitName, subject: Subject]>): Promise<CountedAttempt[]> {
    const counted: CountedAttempt[] = [];
    try {
      for (const [name, subject] of checks) counted.push(await this.consume(name, subject));
    } catch (error) {
      await this.refundAll(counted);
      throw error;
    }
    return counted;
  }

  /** Throws too_many_requests when the limit is already reached, without counting. */
  async assertNotExhausted(name: RateLimitName, subject: Subject): Promise<void> {
    const window = await this.store.peek(this.key(name, subject), this.clock.now());
    if (window.count >= RATE_LIMITS[name].limit) this.refuse(name, window);
  }

  /**
   * Takes back an attempt consume() counted, for limits that count failures only — from the window
   * it was counted in, never from a later one.
   */
  async refund(attempt: CountedAttempt): Promise<void> {
    await this.store.undo(attempt.key, attempt.resetAt);
  }

  async refundAll(attempts: CountedAttempt[]): Promise<void> {
    for (const attempt of attempts) await this.refund(attempt);
  }

  /**
   * Drops every counter keyed on these accounts: on their id, or on any address they have had
   * (the current one, and those whose hashes they carry), alone or as the first part of a pair.
   */
  async forgetAccounts(accounts: Array<{ id: string; email: string; addressHashes?: Buffer[] }>): Promise<void> {
    const keys: string[] = [];
    const prefixes: string[] = [];
    for (const account of accounts) {
      const addresses = [digest(account.email), ...(account.addressHashes ?? [])].map(shorten);
      for (const name of Object.keys(RATE_LIMITS) as RateLimitName[]) {
        const { name: prefix, subject } = RATE_LIMITS[name];
        if (subject === 'userId') keys.push(`${prefix}:${shorten(digest(account.id))}`);
        if (subject === 'email') keys.push(...addresses.map((address) => `${prefix}:${address}`));
        if (subject === 'userIdAndIp') prefixes.push(`${prefix}:${shorten(digest(account.id))}:`);
        if (subject === 'emailAndOrg') prefixes.push(...addresses.map((address) => `${prefix}:${address}:`));
      }
    }
    await this.store.forget(keys);
    await this.store.forgetPrefixes(prefixes);
  }

  /**
   * Subjects (addresses, emails) are hashed: the counters hold no personal data. A pair is hashed
   * part by part, so the counters of its first part share a prefix.
   */
  private key(name: RateLimitName, subject: Subject): string {
    const parts = typeof subject === 'string' ? [subject] : subject;
    return [RATE_LIMITS[name].name, ...parts.map((part) => shorten(digest(part)))].join(':');
  }

  /** Counted in `authd_rate_limit_refusals_total{limit}`, by the limit's name (`login-ip`), unless quiet. */
  private refuse(name: RateLimitName, window: RateWindow, counted = true): never {
    if (counted) this.recordRefusal(name);
    const retryAfterSeconds = Math.max(1, Math.ceil((window.resetAt.getTime() - this.clock.now().getTime()) / 1000));
    throw new DomainError('too_many_requests', { retryAfterSeconds });
  }
}
