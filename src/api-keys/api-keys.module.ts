import { Module } from '@nestjs/common';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysReactions } from './api-keys.reactions';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ApiKeysUserData } from './api-keys.user-data';

@Module({
  imports: [CommonModule, AuditModule, SessionsModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysService, ApiKeysRepository, ApiKeysReactions, ApiKeysUserData],
  exports: [ApiKeysService],
})
export class ApiKeysModule {}
