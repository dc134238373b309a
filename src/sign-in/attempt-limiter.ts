import { Injectable, Logger } from '@nestjs/common';
import { describeError } from '../common/describe-error';
import { CountedAttempt, RateLimiter } from '../rate-limit/rate-limiter.service';
import { CredentialRejected } from './proof';

/**
 * The one policy for guessable credentials: an attempt is counted before its credential is checked,
 * so parallel guesses cannot outrun the limit, and taken back unless the check rejected a
 * credential (CredentialRejected). Only failures stay counted.
 */
@Injectable()
export class AttemptLimiter {
  private readonly logger = new Logger('AttemptLimiter');

  constructor(private readonly limiter: RateLimiter) {}

  /** Counts with `count` (which answers 429 past the limit), then runs `check`. */
  async attempt<T>(count: () => Promise<CountedAttempt>, check: () => Promise<T>): Promise<T> {
    const counted = await count();
    try {
      const result = await check();
      await this.takeBack(counted);
      return result;
    } catch (error) {
      if (!(error instanceof CredentialRejected)) await this.takeBack(counted);
      throw error;
    }
  }

  /**
   * By now the answer is decided (a session may be committed): a rate-limit store that cannot take
   * the attempt back leaves it counted, and the client still gets its answer.
   */
  private async takeBack(counted: CountedAttempt): Promise<void> {
    try {
      await this.limiter.refund(counted);
    } catch (error) {
      this.logger.warn({ error: describeError(error), msg: 'an attempt that was no failure stays counted' });
    }
  }
}
