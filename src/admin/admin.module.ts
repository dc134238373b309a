import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { DeletionModule } from '../deletion/deletion.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { PasskeysModule } from '../passkeys/passkeys.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SsoModule } from '../sso/sso.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersService } from './admin-users.service';
import { AdminAuditController } from './admin-audit.controller';
import { AdminAuditInterceptor } from './admin-audit.interceptor';
import { AdminKeyGuard } from './admin-key.guard';
import { AdminKeysService } from './admin-keys.service';
import { AdminRepository } from './admin.repository';
import { AdminUserData } from './admin.user-data';
import { AdminWebhooksService } from './admin-webhooks.service';
import { AdminWebhooksController } from './webhooks.controller';

/**
 * The operators' side: admin keys and the routes they open. The guard and the audit interceptor are
 * global, so an @AdminRoute() in any feature (e.g. POST /auth/introspect) is authenticated and
 * audited the same way.
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
  ],
  controllers: [AdminUsersController, AdminAuditController, AdminWebhooksController],
  providers: [
    AdminUsersService,
    AdminWebhooksService,
    AdminRepository,
    AdminKeysService,
    AdminUserData,
    { provide: APP_GUARD, useClass: AdminKeyGuard },
    { provide: APP_INTERCEPTOR, useClass: AdminAuditInterceptor },
  ],
  exports: [AdminKeysService],
})
export class AdminModule {}
