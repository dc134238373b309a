import { Controller, Get, Header, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NoBody } from '../common/no-body.pipe';
import { AllowUnverified, CurrentSession, NoStore, Public } from '../http';
import type { SessionAuth } from '../http';
import { AccessTokenDto, JwksDto } from './tokens.dto';
import { TokensService } from './tokens.service';
import { SigningKeysService } from './signing-keys.service';

/**
 * How long a verifier or a proxy may keep the JWKS. A key is published from one rotation before it
 * signs (30 days as a rule), so this only bounds how soon a newly published key is seen; an
 * instance's own copy (KEY_CACHE_MS) adds to it.
 */
export const JWKS_MAX_AGE_SECONDS = 300;

@ApiTags('tokens')
@Controller()
export class TokensController {
  constructor(
    private readonly tokens: TokensService,
    private readonly keys: SigningKeysService,
  ) {}

  @Post('auth/token')
  @ApiOperation({
    summary: 'Get a short-lived JWT for the product’s backend',
    description:
      'A JWT for the current session, valid for ACCESS_TOKEN_TTL (5 minutes by default), to send to the product’s own backend, which verifies it with the keys of `GET /.well-known/jwks.json` (issuer APP_URL, audience ACCESS_TOKEN_AUDIENCE). Open to unverified users (`email_verified` says so); not to API keys, nor during an account’s deletion grace period. A token outlives a sign-out or a lock by at most its lifetime: use `POST /auth/introspect` where that matters.',
  })
  @AllowUnverified()
  @HttpCode(HttpStatus.OK)
  @NoStore()
  @ApiOkResponse({ type: AccessTokenDto })
  async issue(@NoBody() _: undefined, @CurrentSession() auth: SessionAuth): Promise<AccessTokenDto> {
    return AccessTokenDto.of(await this.tokens.issue(auth));
  }

  @Get('.well-known/jwks.json')
  @Public()
  @ApiOperation({
    summary: 'The keys that verify the JWTs (JWKS)',
    description:
      'The public halves (ES256, P-256) of the key that signs now, of the next key (published a rotation ahead, so a cached copy knows it before it signs), and of the retired keys whose tokens may still be live. Cacheable for 5 minutes.',
  })
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  @ApiOkResponse({ type: JwksDto })
  async jwks(): Promise<JwksDto> {
    return this.keys.jwks();
  }
}
