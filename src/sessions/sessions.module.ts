import { Module } from '@nestjs/common';
import { PurgeExpiredSessionsTask } from './purge-expired-sessions.task';
import { SessionOwnerGuard } from './session-owner.guard';
import { SessionsController } from './sessions.controller';
import { SessionsReactions } from './sessions.reactions';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { MailModule } from '../mail/mail.module';
import { SessionsUserData } from './sessions.user-data';
import { WebhooksModule } from '../webhooks/webhooks.module';

@Module({
  imports: [CommonModule, AuditModule, MailModule, WebhooksModule],
  controllers: [SessionsController],
  providers: [
    SessionsService,
    SessionsRepository,
    SessionsReactions,
    SessionsUserData,
    SessionOwnerGuard,
    PurgeExpiredSessionsTask,
  ],
  exports: [SessionsService],
})
export class SessionsModule {}
