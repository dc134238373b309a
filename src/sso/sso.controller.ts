import { Body, Controller, Get, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiProduces, ApiTags, ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { IdParam, Public } from '../http';
import { DiscoverDto, DiscoveryDto } from './sso.dto';
import { SsoEnforcementService } from './sso-enforcement.service';
import { SsoProvidersService } from './sso-providers.service';

/** What anyone may ask before signing in: where an address signs in, and the SP's metadata. */
@ApiTags('sso')
@Controller('auth')
export class SsoController {
  constructor(
    private readonly enforcement: SsoEnforcementService,
    private readonly providers: SsoProvidersService,
  ) {}

  @Public()
  @Post('sso/discover')
  @ApiOperation({
    summary: 'Find where an address signs in',
    description: 'Answers `sso: true` and the `loginUrl` when the address belongs to a verified SSO domain.',
  })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: DiscoveryDto, description: '`{sso: true, loginUrl}` for an address of a verified domain' })
  async discover(@Body() body: DiscoverDto): Promise<DiscoveryDto> {
    return DiscoveryDto.of(await this.enforcement.discover(body.email));
  }

  @Public()
  @Get('saml/:id/metadata')
  @ApiOperation({
    summary: 'SAML service provider metadata',
    description: 'The SP metadata XML for a provider, to give to the IdP administrator.',
  })
  @ApiProduces('application/samlmetadata+xml')
  @ApiOkResponse({ description: 'SAML 2.0 metadata of the service provider, for the IdP administrator' })
  @ApiNotFoundResponse({ description: '`not_found`: no such provider' })
  async metadata(@IdParam('id') providerId: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const xml = await this.providers.spMetadata(providerId);
    // Set only once the XML exists: an error keeps its JSON type.
    reply.type('application/samlmetadata+xml; charset=utf-8');
    return xml;
  }
}
