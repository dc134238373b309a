import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { DeletionModule } from '../deletion/deletion.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { SsoModule } from '../sso/sso.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { ScimTokensController } from './scim-tokens.controller';
import { ScimTokensService } from './scim-tokens.service';
import { ScimTokenGuard } from './scim-token.guard';
import { ScimController } from './scim.controller';
import { ScimGroupsService } from './scim-groups.service';
import { ScimUsersService } from './scim-users.service';
import { ScimReactions } from './scim.reactions';
import { ScimRepository } from './scim.repository';
import { ScimUserData } from './scim.user-data';

/** SCIM 2.0 provisioning: an organization's IdP creates, suspends and removes its members and their groups. */
@Module({
  imports: [CommonModule, AuditModule, WebhooksModule, UsersModule, OrganizationsModule, SsoModule, DeletionModule],
  controllers: [ScimTokensController, ScimController],
  providers: [
    ScimTokensService,
    ScimUsersService,
    ScimGroupsService,
    ScimTokenGuard,
    ScimRepository,
    ScimReactions,
    ScimUserData,
  ],
})
export class ScimModule {}
