import { Body, Controller, HttpCode, HttpStatus, Post, UseInterceptors } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminRoute } from '../http';
import { IntrospectDto, IntrospectionDto } from '../tokens/tokens.dto';
import { TokensService } from '../tokens/tokens.service';
import { AdminAuditInterceptor } from './admin-audit.interceptor';

/** RFC 7662 introspection for the product's backend, with an admin key: an operators' route like the others. */
@ApiTags('tokens')
@Controller()
@UseInterceptors(AdminAuditInterceptor)
export class IntrospectionController {
  constructor(private readonly tokens: TokensService) {}

  @Post('auth/introspect')
  @AdminRoute('sessions:introspect')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Introspect a session token or API key (RFC 7662)',
    description:
      'For an admin key with the scope `sessions:introspect`. `{active: true, sub, sid, email, email_verified, orgs, exp, auth_time}` for a session token or user API key that works now (`sid`, `exp` and `auth_time` are null for an API key; times are seconds since the epoch), else `{active: false}` alone: unknown, signed out, expired, replaced (after its grace), the account locked or scheduled for deletion. Asking changes nothing: the session’s last activity and the key’s last use stay as they were.',
  })
  @ApiOkResponse({ type: IntrospectionDto })
  async introspect(@Body() body: IntrospectDto): Promise<IntrospectionDto> {
    return IntrospectionDto.of(await this.tokens.introspect(body.token));
  }
}
