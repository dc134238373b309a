import { Module } from '@nestjs/common';
import { PurgeExpiredSessionsTask } from './purge-expired-sessions.task';
import { SessionOwnerGuard } from './session-owner.guard';
import { SessionsController } from './sessions.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  controllers: [SessionsController],
  providers: [SessionsService, SessionsRepository, SessionOwnerGuard, PurgeExpiredSessionsTask],
  exports: [SessionsService],
})
export class SessionsModule {}
