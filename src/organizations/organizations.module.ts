import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsRepository } from './organizations.repository';
import { OrganizationsService } from './organizations.service';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { MailModule } from '../mail/mail.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { InvitationsController, OrgInvitationsController } from './invitations.controller';
import { InvitationsService } from './invitations.service';
import { CleanupOrphanedOrgsTask } from './cleanup-orphaned-orgs.task';
import { PurgeExpiredInvitationsTask } from './purge-expired-invitations.task';
import { OrganizationsUserData } from './organizations.user-data';
import { WebhooksModule } from '../webhooks/webhooks.module';

@Module({
  imports: [CommonModule, AuditModule, MailModule, RateLimitModule, UsersModule, WebhooksModule],
  controllers: [OrganizationsController, OrgInvitationsController, InvitationsController],
  providers: [
    OrganizationsService,
    InvitationsService,
    OrganizationsRepository,
    OrganizationsUserData,
    CleanupOrphanedOrgsTask,
    PurgeExpiredInvitationsTask,
  ],
  exports: [OrganizationsService],
})
export class OrganizationsModule {}
