import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { DnsTxt } from './dns-txt';
import { SsoConfigController } from './sso-config.controller';
import { SsoController } from './sso.controller';
import { SsoReactions } from './sso.reactions';
import { SsoRepository } from './sso.repository';
import { SsoService } from './sso.service';
import { SsoUserData } from './sso.user-data';

@Module({
  imports: [CommonModule, AuditModule, OrganizationsModule],
  controllers: [SsoConfigController, SsoController],
  providers: [SsoService, SsoRepository, SsoUserData, SsoReactions, DnsTxt],
  exports: [SsoService],
})
export class SsoModule {}
