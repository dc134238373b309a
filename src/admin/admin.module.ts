import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { DeletionModule } from '../deletion/deletion.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { PasskeysModule } from '../passkeys/passkeys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SsoModule } from '../sso/sso.module';
import { UsersModule } from '../users/users.module';
import { TokensModule } from '../tokens/tokens.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { AdminAuditController } from './admin-audit.controller';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminKeysService } from './admin-keys.service';
import { AdminRepository } from './admin.repository';
import { AdminUserData } from './admin.user-data';
import { AdminWebhooksService } from './admin-webhooks.service';
import { IntrospectionController } from './introspection.controller';
import { AdminWebhooksController } from './webhooks.controller';

/**
 * The operators' side: admin keys and the routes they open, all in this module. The guard is global
 * (an admin key anywhere else answers 401); the audit interceptor is on these controllers only, so
 * the other routes run no interceptor at all (Nest then skips its RxJS pipeline, a measurable share of
 * GET /me).
 */
@Module({
  imports: [
    CommonModule,
    AuditModule,
    WebhooksModule,
    UsersModule,
    SessionsModule,
    OrganizationsModule,
    PasskeysModule,
    SsoModule,
    DeletionModule,
    TokensModule,
  ],
  controllers: [AdminUsersController, AdminAuditController, AdminWebhooksController, IntrospectionController],
  providers: [
    AdminUsersService,
    AdminWebhooksService,
    AdminRepository,
    AdminKeysService,
    AdminUserData,
    { provide: APP_GUARD, useClass: AdminKeyGuard },
  ],
  exports: [AdminKeysService],
})
export class AdminModule {}
