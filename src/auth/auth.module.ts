import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SsoModule } from '../sso/sso.module';
import { TwoFactorModule } from '../two-factor/two-factor.module';
import { UsersModule } from '../users/users.module';
import { VerificationModule } from '../verification/verification.module';
import { PendingDeletionGuard } from '../deletion/pending-deletion.guard';
import { StepUpGuard } from '../step-up/step-up.guard';
import { OrgMfaGuard } from '../step-up/org-mfa.guard';
import { OrganizationsModule } from '../organizations/organizations.module';
import { VerifiedGuard } from '../verification/verified.guard';
import { AuthController } from './auth.controller';
import { AuthRepository } from './auth.repository';
import { PasswordFlowsService } from './password-flows.service';
import { SignInService } from './sign-in.service';
import { PasswordLogin } from './password-login';
import { PasskeyLogin } from './passkey-login';
import { EmailLogin } from './email-login';
import { EmailLoginController } from './email-login.controller';
import { SignInModule } from '../sign-in/sign-in.module';
import { EmailSignInModule } from '../email-sign-in/email-sign-in.module';
import { PasswordController } from './password.controller';
import { SessionAuthGuard } from './session-auth.guard';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { MailModule } from '../mail/mail.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { AuthUserData } from './auth.user-data';

@Module({
  imports: [
    CommonModule,
    AuditModule,
    MailModule,
    RateLimitModule,
    UsersModule,
    SessionsModule,
    TwoFactorModule,
    ApiKeysModule,
    VerificationModule,
    SsoModule,
    OrganizationsModule,
    SignInModule,
    EmailSignInModule,
  ],
  controllers: [AuthController, PasswordController, EmailLoginController],
  providers: [
    AuthRepository,
    AuthUserData,
    SignInService,
    PasswordLogin,
    PasskeyLogin,
    EmailLogin,
    PasswordFlowsService,
    // In this order: who is asking, whether their account is pending deletion, whether their email must
    // be verified, whether their organization's MFA rule lets them in, whether the route needs a step-up.
    { provide: APP_GUARD, useClass: SessionAuthGuard },
    { provide: APP_GUARD, useClass: PendingDeletionGuard },
    { provide: APP_GUARD, useClass: VerifiedGuard },
    { provide: APP_GUARD, useClass: OrgMfaGuard },
    { provide: APP_GUARD, useClass: StepUpGuard },
  ],
  exports: [PasswordFlowsService, EmailLogin],
})
export class AuthModule {}
