import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { MailModule } from '../mail/mail.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { CodeHasher } from './email-codes';
import { EmailConfirmationService } from './email-confirmation.service';
import { EmailSignInController } from './email-sign-in.controller';
import { EmailSignInRepository } from './email-sign-in.repository';
import { EmailSignInService } from './email-sign-in.service';
import { EmailSignInUserData } from './email-sign-in.user-data';
import { EmailSignInSealedData } from './email-sign-in.sealed-data';
import { PurgeEmailSignInCodesTask } from './purge-email-sign-in-codes.task';

/** Signing in with a link or code mailed to the address, and step-up by a mailed code. */
@Module({
  imports: [CommonModule, AuditModule, MailModule, RateLimitModule, UsersModule],
  controllers: [EmailSignInController],
  providers: [
    EmailSignInRepository,
    CodeHasher,
    EmailSignInService,
    EmailConfirmationService,
    EmailSignInUserData,
    EmailSignInSealedData,
    PurgeEmailSignInCodesTask,
  ],
  exports: [EmailSignInService, EmailConfirmationService],
})
export class EmailSignInModule {}
