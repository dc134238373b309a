import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { MailModule } from '../mail/mail.module';
import { SessionsModule } from '../sessions/sessions.module';
import { UsersModule } from '../users/users.module';
import { DeletionController } from './deletion.controller';
import { DeletionService } from './deletion.service';
import { PendingDeletionGuard } from './pending-deletion.guard';
import { PurgeDeletedAccountsTask } from './purge-deleted-accounts.task';

/** Account deletion: the grace period, its cancellation, the export, and the purge. */
@Module({
  imports: [CommonModule, AuditModule, MailModule, UsersModule, SessionsModule],
  controllers: [DeletionController],
  providers: [DeletionService, PurgeDeletedAccountsTask, PendingDeletionGuard],
  exports: [PendingDeletionGuard, DeletionService],
})
export class DeletionModule {}
