import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { MailModule } from '../mail/mail.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { SessionsModule } from '../sessions/sessions.module';
import { SignInModule } from '../sign-in/sign-in.module';
import { UsersModule } from '../users/users.module';
import { BrowserSession } from './browser-session';
import { DnsTxt } from './dns-txt';
import { OidcConfigController } from './oidc-config.controller';
import { OidcConnectionsService } from './oidc-connections.service';
import { OidcLoginService } from './oidc-login.service';
import { OidcController } from './oidc.controller';
import { PurgeSamlRecordsTask } from './purge-saml-records.task';
import { SamlController } from './saml.controller';
import { SamlStrategy } from './saml.strategy';
import { SsoConfigController } from './sso-config.controller';
import { SsoDomainsService } from './sso-domains.service';
import { SsoEnforcementService } from './sso-enforcement.service';
import { SsoIdentitiesService } from './sso-identities.service';
import { SsoLoginService } from './sso-login.service';
import { SsoSignInService } from './sso-sign-in.service';
import { SsoProvidersService } from './sso-providers.service';
import { SsoController } from './sso.controller';
import { SsoCredentialRules } from './sso.credential-rules';
import { SsoReactions } from './sso.reactions';
import { SsoRepository } from './sso.repository';
import { SsoUserData } from './sso.user-data';
import { SsoSealedData } from './sso.sealed-data';

@Module({
  imports: [
    CommonModule,
    AuditModule,
    MailModule,
    RateLimitModule,
    UsersModule,
    SessionsModule,
    SignInModule,
    ApiKeysModule,
    OrganizationsModule,
  ],
  controllers: [SsoConfigController, OidcConfigController, SsoController, SamlController, OidcController],
  providers: [
    BrowserSession,
    SsoProvidersService,
    SsoDomainsService,
    SsoEnforcementService,
    SsoIdentitiesService,
    SsoLoginService,
    SsoSignInService,
    OidcConnectionsService,
    OidcLoginService,
    SamlStrategy,
    SsoRepository,
    SsoUserData,
    SsoSealedData,
    SsoReactions,
    SsoCredentialRules,
    DnsTxt,
    PurgeSamlRecordsTask,
  ],
  exports: [SsoEnforcementService, SsoDomainsService, SsoIdentitiesService],
})
export class SsoModule {}
