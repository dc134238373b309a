import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { bearerOf } from '../http';
import type { ScimRequest } from './scim-caller';
import { ScimTokensService } from './scim-tokens.service';

/**
 * The /scim/v2 routes' own authentication (they are @Public() for the session guard): an
 * organization's `scim_…` bearer token, and nothing else, names the directory the request speaks for.
 */
@Injectable()
export class ScimTokenGuard implements CanActivate {
  constructor(private readonly tokens: ScimTokensService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ScimRequest>();
    request.scim = await this.tokens.authenticate(bearerOf(request));
    return true;
  }
}
