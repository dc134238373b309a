import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { DomainError } from '../common/errors';
import { RATE_LIMITS, RateLimitName } from './rate-limits';
import { RateLimitStore, RateWindow } from './rate-limit.store';

@Injectable()
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly clock: Clock,
  ) {}

  /** Counts an attempt; throws too_many_requests once the limit is passed. */
  async consume(name: RateLimitName, subject: string): Promise<void> {
    const rule = RATE_LIMITS[name];
    const window = await this.store.hit(this.key(name, subject), rule.windowMs, this.clock.now());
    if (window.count > rule.limit) this.refuse(window);
  }

  /** Throws too_many_requests when the limit is already reached, without counting. */
  async assertNotExhausted(name: RateLimitName, subject: string): Promise<void> {
    const window = await this.store.peek(this.key(name, subject), this.clock.now());
    if (window.count >= RATE_LIMITS[name].limit) this.refuse(window);
  }

  /** Counts a failure that the next assertNotExhausted will see. */
  async record(name: RateLimitName, subject: string): Promise<void> {
    await this.store.hit(this.key(name, subject), RATE_LIMITS[name].windowMs, this.clock.now());
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
