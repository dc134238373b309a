import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { SessionsModule } from '../sessions/sessions.module';
import { RotateSigningKeysTask } from './rotate-signing-keys.task';
import { SigningKeysService } from './signing-keys.service';
import { TokensController } from './tokens.controller';
import { TokensRepository } from './tokens.repository';
import { TokensService } from './tokens.service';
import { TokensSealedData } from './tokens.sealed-data';
import { TokensUserData } from './tokens.user-data';

@Module({
  imports: [CommonModule, AuditModule, SessionsModule, ApiKeysModule, OrganizationsModule],
  controllers: [TokensController],
  providers: [
    TokensService,
    SigningKeysService,
    TokensRepository,
    RotateSigningKeysTask,
    TokensUserData,
    TokensSealedData,
  ],
  exports: [TokensService],
})
export class TokensModule {}
