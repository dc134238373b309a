import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { CleanupUnverifiedAccountsTask } from './cleanup-unverified-accounts.task';
import { VerificationController } from './verification.controller';
import { VerificationRepository } from './verification.repository';
import { VerificationService } from './verification.service';
import { VerifiedGuard } from './verified.guard';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { MailModule } from '../mail/mail.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { VerificationReactions } from './verification.reactions';
import { VerificationUserData } from './verification.user-data';

@Module({
  imports: [CommonModule, AuditModule, MailModule, RateLimitModule, UsersModule],
  controllers: [VerificationController],
  providers: [
    VerificationService,
    VerificationUserData,
    VerificationRepository,
    VerificationReactions,
    VerifiedGuard,
    CleanupUnverifiedAccountsTask,
  ],
  exports: [VerificationService, VerifiedGuard],
})
export class VerificationModule {}
