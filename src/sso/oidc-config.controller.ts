import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { checkBody } from '../common/validation';
import { AppConfig } from '../config';
import { AllowApiKey, CurrentAuth, IdParam, RequireStepUp, RequireVerifiedEmail } from '../http';
import type { AuthContext } from '../http';
import { oidcRedirectUri } from './connection-urls';
import { OidcConnectionsService } from './oidc-connections.service';
import { OidcConnectionDto, SaveOidcConnectionDto } from './oidc.dto';
import { verificationRecord } from './sso-domains.service';
import type { OidcConnection } from './sso.repository';

@ApiTags('sso')
@ApiNotFoundResponse({ description: '`not_found`: no such organization (or not a member), or no OIDC connection' })
@ApiForbiddenResponse({ description: '`insufficient_role`' })
@AllowApiKey()
@RequireVerifiedEmail()
@Controller('orgs/:id/sso/oidc')
export class OidcConfigController {
  constructor(
    private readonly config: AppConfig,
    private readonly connections: OidcConnectionsService,
  ) {}

  @Put()
  @ApiOperation({
    summary: 'Configure OpenID Connect sign-on',
    description:
      'Owners, with a recent step-up: create or replace the organization’s OIDC connection. The issuer’s discovery document and keys are fetched and checked now. ' +
      'Register `redirectUri` (in the answer) at the OP. The domain, its verification and enforcement work as for SAML; an organization has one SSO connection, SAML or OIDC.',
  })
  @RequireStepUp()
  @ApiOkResponse({ type: OidcConnectionDto, description: 'The connection, created or replaced; never its secret.' })
  @ApiBadRequestResponse({
    description:
      '`validation_failed` naming the field: `issuer` (unreachable, another issuer in its discovery, no authorization/token/JWKS endpoint, not https unless a loopback host), scopes without openid, unknown role, public domain, or a domain another organization verified',
  })
  @ApiConflictResponse({ description: '`sso_already_configured`: the organization has a SAML connection' })
  @ApiBody({
    type: SaveOidcConnectionDto,
    examples: {
      okta: {
        summary: 'An OP with groups',
        value: {
          domain: 'example.com',
          issuer: 'https://example.okta.com',
          clientId: '0oa1b2c3d4',
          clientSecret: 's3cr3t-from-the-op',
          scopes: ['openid', 'email', 'profile', 'groups'],
          groupsClaim: 'groups',
          groupRoleMap: { admins: 'admin' },
          enforce: false,
        },
      },
    },
  })
  async save(
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Body() raw: unknown,
    @Client() client: ClientInfo,
  ): Promise<OidcConnectionDto> {
    // Checked here, not by the global pipe: its problems and the service's come in one answer.
    const body = await checkBody(SaveOidcConnectionDto, raw);
    const input = body.value as SaveOidcConnectionDto;
    return this.dto(await this.connections.save(auth.user, orgId, input, client, body.problems));
  }

  @Get()
  @ApiOperation({
    summary: 'Read the OIDC settings',
    description:
      'Owners and admins; includes the redirect URI and the DNS TXT record that proves the domain (never the secret).',
  })
  @ApiOkResponse({ type: OidcConnectionDto, description: 'For org owners and admins.' })
  async get(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<OidcConnectionDto> {
    return this.dto(await this.connections.getForOrg(auth.user, orgId));
  }

  @Post('verify-domain')
  @ApiOperation({
    summary: 'Verify the OIDC connection’s domain',
    description:
      'As for SAML: looks the DNS TXT record up now; once found, the domain is verified and enforcement takes effect.',
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: OidcConnectionDto, description: '`domainVerified: true` once the TXT record is found.' })
  @ApiBadRequestResponse({
    description:
      '`domain_not_verified` while the record is not found, or when another organization verified the domain first',
  })
  async verifyDomain(
    @NoBody() _: undefined,
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Client() client: ClientInfo,
  ): Promise<OidcConnectionDto> {
    return this.dto(await this.connections.verifyDomain(auth.user, orgId, client));
  }

  @Delete()
  @ApiOperation({
    summary: 'Remove the OIDC connection',
    description: 'Owners, with a recent step-up; the accounts it signed in stay, untied from it.',
  })
  @RequireStepUp()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Removed; the accounts it signed in stay.' })
  async remove(
    @NoBody() _: undefined,
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.connections.remove(auth.user, orgId, client);
  }

  private dto(connection: OidcConnection): OidcConnectionDto {
    return OidcConnectionDto.of(
      connection,
      oidcRedirectUri(this.config.appUrl, connection.id),
      verificationRecord(connection),
    );
  }
}
