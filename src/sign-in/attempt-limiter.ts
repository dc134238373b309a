import { Injectable, Logger } from '@nestjs/common';
import type { ClientInfo } from '../common/client-info';
import { describeError } from '../common/describe-error';
import { DomainError } from '../common/errors';
import { Metrics } from '../common/metrics';
import { ipSubject } from '../rate-limit/ip-subject';
import { CountedAttempt, RateLimiter } from '../rate-limit/rate-limiter.service';
import { AuthMethod, SessionsService } from '../sessions/sessions.service';
import { CredentialRejected } from './proof';

/**
 * The one policy for guessable credentials: an attempt is counted before its credential is checked,
 * so parallel guesses cannot outrun the limit, and taken back unless the check rejected a
 * credential (CredentialRejected). Only failures stay counted.
 */
@Injectable()
export class AttemptLimiter {
  private readonly logger = new Logger('AttemptLimiter');

  constructor(
    private readonly limiter: RateLimiter,
    private readonly sessions: SessionsService,
    private readonly metrics: Metrics,
  ) {}

  /**
   * A sign-in's attempt against the account's failure limit, whatever the method that guesses (a
   * password, or the authenticator code after a mailed link). Past the limit the account is locked,
   * but not for the addresses it signed in from before: a guesser elsewhere would otherwise lock the
   * owner out at will. Each of those addresses then has a failure limit of its own, so someone
   * sharing one gets no more guesses than that.
   */
  async countSignIn(email: string, userId: string | null, client: ClientInfo): Promise<CountedAttempt> {
    try {
      // Quiet: a refusal is counted in the metrics only once it stands.
      return await this.limiter.consume('loginFailuresPerAccount', email, { quiet: true });
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'too_many_requests')) throw error;
      if (!userId || !(await this.sessions.hasSignedInFrom(userId, client.ip))) {
        this.limiter.recordRefusal('loginFailuresPerAccount');
        throw error;
      }
      return this.limiter.consume('loginFailuresPerKnownAddress', [userId, ipSubject(client.ip)]);
    }
  }

  /**
   * Counts with `count` (which answers 429 past the limit), then runs `check`. With the sign-in
   * `method` it guards, a rejected credential and a refusal by the limit are counted in
   * `authd_sign_ins_total{method, outcome}` (outcome: the error code, e.g. invalid_credentials,
   * invalid_totp, too_many_requests); a success is counted where the session is issued.
   */
  async attempt<T>(count: () => Promise<CountedAttempt>, check: () => Promise<T>, method?: AuthMethod): Promise<T> {
    let counted: CountedAttempt;
    try {
      counted = await count();
    } catch (error) {
      if (method && error instanceof DomainError) this.metrics.signIns.inc({ method, outcome: error.code });
      throw error;
    }
    try {
      const result = await check();
      await this.takeBack(counted);
      return result;
    } catch (error) {
      if (!(error instanceof CredentialRejected)) await this.takeBack(counted);
      else if (method) this.metrics.signIns.inc({ method, outcome: error.code });
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
