import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { checkBody } from '../common/validation';
import { AllowApiKey, CurrentAuth, IdParam, RequireStepUp, RequireVerifiedEmail } from '../http';
import type { AuthContext } from '../http';
import { DomainError } from '../common/errors';
import { isSaml, SamlProvider } from './sso.entity';
import { SamlProviderDto, SaveSamlProviderDto } from './sso.dto';
import { refuseSettings } from './provider-settings';
import { SsoDomainsService, verificationRecord } from './sso-domains.service';
import { SsoProvidersService } from './sso-providers.service';

@ApiTags('sso')
@ApiNotFoundResponse({ description: '`not_found`: no such organization (or not a member), or no provider' })
@ApiForbiddenResponse({ description: '`insufficient_role`' })
@AllowApiKey()
@RequireVerifiedEmail()
@Controller('orgs/:id/sso/saml')
export class SsoConfigController {
  constructor(
    private readonly providers: SsoProvidersService,
    private readonly domains: SsoDomainsService,
  ) {}

  @Put()
  @ApiOperation({
    summary: 'Configure SAML sign-on',
    description:
      'Owners, with a recent step-up: create or replace the organization’s SAML provider from explicit settings or the IdP’s metadata XML. A domain another organization claimed without verifying it can be claimed too. Enforcement waits for the domain to be verified; turned on for a verified domain, it ends the sessions signed in without the IdP (password, passkey, mailed link) and the API keys of the organization’s members with an address there, but its owners.',
  })
  @RequireStepUp()
  @ApiOkResponse({ type: SamlProviderDto, description: 'The provider, created or replaced (org owners).' })
  @ApiBadRequestResponse({
    description:
      '`validation_failed` naming the field: bad certificate, URL or metadata, unknown role, public domain, or one another organization verified',
  })
  // The body is checked here, not by the global pipe: its problems and the service's come in one answer.
  @ApiBody({ type: SaveSamlProviderDto })
  async save(
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Body() raw: unknown,
    @Client() client: ClientInfo,
  ): Promise<SamlProviderDto> {
    const body = await checkBody(SaveSamlProviderDto, raw);
    if (body.problems.length > 0) refuseSettings(orgId, body.value, body.problems);
    return this.dto(await this.providers.save(auth.user, orgId, body.value as SaveSamlProviderDto, client));
  }

  @Get()
  @ApiOperation({
    summary: 'Read the SAML settings',
    description: 'Owners and admins; includes the DNS TXT record that proves the domain.',
  })
  @ApiOkResponse({ type: SamlProviderDto, description: 'For org owners and admins.' })
  async get(@CurrentAuth() auth: AuthContext, @IdParam('id') orgId: string): Promise<SamlProviderDto> {
    return this.dto(await this.providers.getForOrg(auth.user, orgId));
  }

  @Post('verify-domain')
  @ApiOperation({
    summary: 'Verify the SSO domain',
    description:
      'Looks the DNS TXT record up now; once found, the domain is verified (the first organization to prove it holds it; the other claimants are mailed) and enforcement takes effect: with `enforce: true`, the sessions signed in without the IdP (password, passkey, mailed link) and the API keys of the members with an address there, but the owners, end.',
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: SamlProviderDto, description: '`domainVerified: true` once the TXT record is found.' })
  @ApiBadRequestResponse({
    description:
      '`domain_not_verified` while the record is not found, or when another organization verified the domain first (the message says which)',
  })
  async verifyDomain(
    @NoBody() _: undefined,
    @CurrentAuth() auth: AuthContext,
    @IdParam('id') orgId: string,
    @Client() client: ClientInfo,
  ): Promise<SamlProviderDto> {
    const verified = await this.domains.verifyDomain(auth.user, orgId, client, 'saml');
    if (!isSaml(verified)) throw new DomainError('not_found');
    return this.dto(verified);
  }

  @Delete()
  @ApiOperation({
    summary: 'Remove the SAML provider',
    description: 'Owners, with a recent step-up; the accounts it signed in stay.',
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
    await this.providers.remove(auth.user, orgId, client);
  }

  private dto(provider: SamlProvider): SamlProviderDto {
    return SamlProviderDto.of(provider, this.providers.urls(provider.id), verificationRecord(provider));
  }
}
