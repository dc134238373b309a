import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors';
import { RATE_LIMITS, RateLimitName } from './rate-limits';
import { RateLimitStore, RateWindow } from './rate-limit.store';

/** An attempt consume() counted, and the window it was counted in. */
export interface CountedAttempt {
  key: string;
  resetAt: Date;
}

@Injectable()
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly clock: Clock,
  ) {}

  /**
   * Counts an attempt, then refuses it with too_many_requests once the limit is passed. Counting
   * comes first, so attempts sent together cannot all slip past a check made before any counted.
   */
  async consume(name: RateLimitName, subject: string): Promise<CountedAttempt> {
    const rule = RATE_LIMITS[name];
    const key = this.key(name, subject);
    const window = await this.store.hit(key, rule.windowMs, this.clock.now());
    if (window.count > rule.limit) this.refuse(window);
    return { key, resetAt: window.resetAt };
  }

  /**
   * Counts one attempt against each limit in turn; when one refuses, the attempts already counted
   * are taken back, so a refusal by one limit spends nothing of the others.
   */
  async consumeAll(checks: Array<[name: RateLimitName, subject: string]>): Promise<CountedAttempt[]> {
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
  async assertNotExhausted(name: RateLimitName, subject: string): Promise<void> {
    const window = await this.store.peek(this.key(name, subject), this.clock.now());
    if (window.count >= RATE_LIMITS[name].limit) this.refuse(window);
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

  /** Drops every counter keyed on these accounts (their address or their id), e.g. when they are erased. */
  async forgetAccounts(accounts: Array<{ id: string; email: string }>): Promise<void> {
    const keys = accounts.flatMap((account) =>
      (Object.keys(RATE_LIMITS) as RateLimitName[]).flatMap((name) => {
        const { subject } = RATE_LIMITS[name];
        if (subject === 'ip' || subject === 'userIdAndIp' || subject === 'org') return [];
        return [this.key(name, subject === 'email' ? account.email : account.id)];
      }),
    );
    await this.store.forget(keys);
  }

  /** Subjects (addresses, emails) are hashed: the counters hold no personal data. */
  private key(name: RateLimitName, subject: string): string {
    return `${RATE_LIMITS[name].name}:${createHash('sha256').update(subject).digest('base64url').slice(0, 22)}`;
  }

  private refuse(window: RateWindow): never {
    const retryAfterSeconds = Math.max(1, Math.ceil((window.resetAt.getTime() - this.clock.now().getTime()) / 1000));
    throw new DomainError('too_many_requests', { retryAfterSeconds });
  }
}
