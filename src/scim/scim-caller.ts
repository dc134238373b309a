import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { OrgRole } from '../organizations/organizations.service';

/** The organization's SSO connection as provisioning uses it: its verified domain and its role rules. */
export interface DirectoryConnection {
  id: string;
  domain: string;
  defaultRole: OrgRole;
  groupRoleMap: Record<string, OrgRole>;
}

/** Who a SCIM request speaks for: the token, its organization, and that organization's connection (if verified). */
export interface ScimCaller {
  tokenId: string;
  orgId: string;
  connection: DirectoryConnection | null;
}

export type ScimRequest = FastifyRequest & { scim?: ScimCaller };

/** The caller the ScimTokenGuard resolved. */
export const Directory = createParamDecorator((_: unknown, context: ExecutionContext): ScimCaller => {
  const caller = context.switchToHttp().getRequest<ScimRequest>().scim;
  if (!caller) throw new Error('the SCIM token was not resolved for this route');
  return caller;
});

/** Marks the /scim/v2 routes: the OpenAPI document gives them the SCIM token and the SCIM error body. */
export const SCIM_ROUTE = 'scim:route';
export const ScimRouteMark = () => SetMetadata(SCIM_ROUTE, true);
