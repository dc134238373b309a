import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { PasskeysModule } from '../passkeys/passkeys.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { SessionsModule } from '../sessions/sessions.module';
import { TwoFactorModule } from '../two-factor/two-factor.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AttemptLimiter } from './attempt-limiter';
import { PasskeyFactor, PasswordFactor, TotpFactor } from './factors';
import { SignInCompleter } from './sign-in-completer';

/**
 * The sign-in pipeline every method plugs into: a check per factor that says what it proved, one
 * limiter that counts failures only, one completer that issues or confirms the session.
 */
@Module({
  imports: [
    CommonModule,
    AuditModule,
    RateLimitModule,
    UsersModule,
    SessionsModule,
    TwoFactorModule,
    PasskeysModule,
    WebhooksModule,
  ],
  providers: [AttemptLimiter, SignInCompleter, PasswordFactor, TotpFactor, PasskeyFactor],
  exports: [AttemptLimiter, SignInCompleter, PasswordFactor, TotpFactor, PasskeyFactor],
})
export class SignInModule {}
