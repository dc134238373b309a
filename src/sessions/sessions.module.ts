import { Module } from '@nestjs/common';
import { PurgeExpiredSessionsTask } from './purge-expired-sessions.task';
import { SessionsService } from './sessions.service';

@Module({
  providers: [SessionsService, PurgeExpiredSessionsTask],
  exports: [SessionsService],
})
export class SessionsModule {}
