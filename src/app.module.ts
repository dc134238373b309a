import { DynamicModule, Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CommonModule } from './common/common.module';
import { AppConfig, ConfigModule } from './config';
import { DatabaseModule } from './database';
import { DeletionModule } from './deletion/deletion.module';
import { EncryptionModule } from './encryption';
import { EmailSignInModule } from './email-sign-in/email-sign-in.module';
import { HealthModule } from './health/health.module';
import { MailModule } from './mail';
import { PagesModule } from './pages/pages.module';
import { PasskeysModule } from './passkeys/passkeys.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { RateLimitModule } from './rate-limit/rate-limit.module';
import { ScimModule } from './scim/scim.module';
import { SessionsModule } from './sessions/sessions.module';
import { SsoModule } from './sso/sso.module';
import { StepUpModule } from './step-up/step-up.module';
import { TasksModule } from './tasks';
import { TokensModule } from './tokens/tokens.module';
import { TwoFactorModule } from './two-factor/two-factor.module';
import { UsersModule } from './users/users.module';
import { VerificationModule } from './verification/verification.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        DatabaseModule,
        TasksModule,
        EncryptionModule,
        MailModule,
        RateLimitModule,
        AuditModule,
        WebhooksModule,
        UsersModule,
        SessionsModule,
        AuthModule,
        TwoFactorModule,
        StepUpModule,
        EmailSignInModule,
        ApiKeysModule,
        PasskeysModule,
        VerificationModule,
        OrganizationsModule,
        TokensModule,
        SsoModule,
        DeletionModule,
        HealthModule,
        PagesModule,
        AdminModule,
        ScimModule,
      ],
    };
  }
}
