import { METHOD_METADATA } from '@nestjs/common/constants';
import { INestApplication, Type } from '@nestjs/common';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import type { OpenAPIObject, OperationObject, PathItemObject, ResponseObject } from '@nestjs/swagger';
import { ErrorCode } from '../common/errors';
import {
  ADMIN_SCOPE,
  AdminScope,
  ALLOWS_API_KEY,
  IS_PUBLIC,
  isOrgRoute,
  OPEN_DURING_DELETION,
  OUTSIDE_ORG_MFA_RULE,
  OPEN_TO_UNVERIFIED,
  REQUIRES_STEP_UP,
  TOLERATES_DEAD_SESSION,
} from '../http';
import { rateLimitsOf } from '../rate-limit/rate-limit.guard';
import { RATE_LIMITS, RateLimitName } from '../rate-limit/rate-limits';
import { SCIM_ROUTE } from '../scim/scim-caller';
import { SCIM_MEDIA_TYPE } from '../scim/scim-resources';
import { codesNamedIn, ERROR_REF, errorExamples, SCIM_ERROR_REF } from './error-schema';

/** The security schemes, by the names operations refer to them with. */
export const SECURITY = {
  sessionCookie: 'sessionCookie',
  sessionToken: 'sessionToken',
  apiKey: 'apiKey',
  adminKey: 'adminKey',
  scimToken: 'scimToken',
} as const;

/** What the route metadata (src/http/route-access.ts, rate limits) says about one handler. */
export interface RouteAccess {
  public: boolean;
  /** @AdminRoute(scope): an admin key with this scope, and nothing else. */
  adminScope: AdminScope | null;
  /** @ToleratesDeadSession(): reached without a live session too, so never a 401. */
  sessionOptional: boolean;
  allowsApiKey: boolean;
  openToUnverified: boolean;
  openDuringDeletion: boolean;
  requiresStepUp: boolean;
  /** Under /orgs/:id and not @OutsideOrgMfaRule(): the organization's MFA rule applies. */
  underOrgMfaRule: boolean;
  rateLimits: RateLimitName[];
  /** A /scim/v2 route: an organization's SCIM token, and the SCIM error body (RFC 7644) for every error. */
  scim: boolean;
}

export interface RouteHandler {
  operationId: string;
  controller: Type;
  handler: (...args: unknown[]) => unknown;
  access: RouteAccess;
}

/** The operation id the document gives a handler (SwaggerModule's default spelling, fixed here). */
export function operationIdOf(controllerKey: string, methodKey: string): string {
  return `${controllerKey}_${methodKey}`;
}

/** Every route handler of the app's controllers and what its metadata lets in, as the guards read it. */
export function routeHandlers(app: INestApplication): RouteHandler[] {
  const reflector = new Reflector();
  const scanner = new MetadataScanner();
  const handlers: RouteHandler[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      for (const key of scanner.getAllMethodNames(controller.prototype)) {
        const handler = controller.prototype[key] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const has = (mark: symbol) => reflector.getAllAndOverride<boolean>(mark, [handler, controller]) === true;
        handlers.push({
          operationId: operationIdOf(controller.name, key),
          controller,
          handler,
          access: {
            public: has(IS_PUBLIC),
            adminScope: reflector.getAllAndOverride<AdminScope | undefined>(ADMIN_SCOPE, [handler, controller]) ?? null,
            sessionOptional: has(TOLERATES_DEAD_SESSION),
            allowsApiKey: has(ALLOWS_API_KEY),
            openToUnverified: has(OPEN_TO_UNVERIFIED),
            openDuringDeletion: has(OPEN_DURING_DELETION),
            requiresStepUp: has(REQUIRES_STEP_UP),
            underOrgMfaRule: isOrgRoute(controller, handler) && !has(OUTSIDE_ORG_MFA_RULE),
            rateLimits: rateLimitsOf(handler),
            scim: reflector.getAllAndOverride<boolean>(SCIM_ROUTE, [handler, controller]) === true,
          },
        });
      }
    }
  }
  return handlers;
}

const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);

/** An error a route can answer with, as a response description says it. */
interface GenericError {
  status: number;
  code: ErrorCode;
  says: string;
}

/**
 * The errors the pipeline gives a route whatever its handler does: the guards (authentication, CSRF,
 * API keys, pending deletion, verified email, step-up), body validation, the id check of path
 * parameters, and rate limits.
 */
export function genericErrors(access: RouteAccess, method: string, operation: OperationObject): GenericError[] {
  const errors: GenericError[] = [];
  // SCIM routes declare their errors themselves: none of the API's codes reach them.
  if (access.scim) return errors;
  const add = (status: number, code: ErrorCode, says = `\`${code}\``) => errors.push({ status, code, says });
  if (operation.requestBody) {
    add(400, 'validation_failed', '`validation_failed` (with `details` naming every failing field)');
    add(400, 'invalid_json');
  }
  if (access.adminScope) {
    add(401, 'unauthenticated', '`unauthenticated`: no admin key, an unknown or revoked one, or other credentials');
    add(403, 'insufficient_scope', `\`insufficient_scope\`: the admin key lacks \`${access.adminScope}\``);
  } else if (!access.public) {
    if (!access.sessionOptional) {
      add(401, 'unauthenticated', '`unauthenticated`: no or unknown credentials');
      add(401, 'session_expired', '`session_expired` (with `reason`)');
    }
    if (UNSAFE.has(method)) add(403, 'csrf_rejected', '`csrf_rejected`: a cookie request from an untrusted origin');
    if (!access.allowsApiKey || access.requiresStepUp) {
      add(403, 'api_key_not_allowed', '`api_key_not_allowed`: this route needs a signed-in session');
    }
    if (!access.openDuringDeletion || access.allowsApiKey) {
      add(403, 'account_pending_deletion', '`account_pending_deletion` (with `cancelUrl`, `deletionScheduledFor`)');
    }
    if (!access.openToUnverified) add(403, 'email_not_verified', '`email_not_verified` (with `resendUrl`)');
    if (access.underOrgMfaRule) {
      add(
        403,
        'mfa_enrollment_required',
        '`mfa_enrollment_required` (with `enrollUrls`): the organization requires MFA and the account has no second factor',
      );
      add(
        403,
        'mfa_required',
        '`mfa_required` (with `confirmUrl`, `methods`, and `ssoUrl` when `methods` holds `sso`): the organization requires MFA and this session has not proved a second factor',
      );
    }
    if (access.requiresStepUp) {
      add(
        403,
        'step_up_required',
        '`step_up_required` (with `confirmUrl`, `methods`, `maxAgeSeconds`, and `ssoUrl` when `methods` holds `sso`)',
      );
    }
  }
  if ((operation.parameters ?? []).some((parameter: object) => 'in' in parameter && parameter.in === 'path')) {
    add(404, 'not_found', '`not_found`');
  }
  if (access.rateLimits.length > 0) {
    add(429, 'too_many_requests', `\`too_many_requests\` past ${access.rateLimits.map(describeLimit).join(', or ')}`);
  }
  return errors;
}

const SUBJECTS = {
  ip: 'client IP',
  email: 'account',
  userId: 'user',
  userIdAndIp: 'account and client IP',
  org: 'organization',
  emailAndOrg: 'organization and address',
} as const;

function describeLimit(name: RateLimitName): string {
  const rule = RATE_LIMITS[name];
  const minutes = rule.windowMs / 60_000;
  const window = minutes % 60 === 0 ? `${minutes / 60} hour${minutes === 60 ? '' : 's'}` : `${minutes} minutes`;
  return `${rule.limit} per ${SUBJECTS[rule.subject]} in ${window}`;
}

const RETRY_AFTER = {
  description: 'Seconds until the limit’s window ends.',
  schema: { type: 'integer', minimum: 1 },
} as const;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Completes what the decorators say with what the route metadata implies, so a new route is
 * documented right without per-route work: its security requirement (none for @Public(); the session
 * cookie or bearer token, and an API key where @AllowApiKey()), and the errors the pipeline answers
 * with, merged into the responses its decorators declare. Every error response gets the shared
 * Error schema and an example per code it names; a 429 its Retry-After header.
 */
export function completeOperations(document: OpenAPIObject, handlers: RouteHandler[]): void {
  const byOperationId = new Map(handlers.map((handler) => [handler.operationId, handler]));
  for (const pathItem of Object.values(document.paths) as PathItemObject[]) {
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      const route = operation.operationId ? byOperationId.get(operation.operationId) : undefined;
      // Only an operation added to the document by hand has no handler; the document test names it.
      if (!route) continue;
      operation.security = securityOf(route.access);
      const responses = operation.responses as Record<string, ResponseObject>;
      for (const error of genericErrors(route.access, method, operation)) {
        const response = (responses[error.status] ??= { description: '' });
        if (codesNamedIn(response.description).includes(error.code)) continue;
        response.description = [response.description, error.says].filter(Boolean).join('; ');
      }
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        response.content ??= route.access.scim
          ? { [SCIM_MEDIA_TYPE]: { schema: SCIM_ERROR_REF } }
          : {
              'application/json': {
                schema: ERROR_REF,
                examples: errorExamples(Number(status), codesNamedIn(response.description)),
              },
            };
        if (status === '429') response.headers = { 'Retry-After': RETRY_AFTER, ...response.headers };
      }
    }
  }
}

function securityOf(access: RouteAccess): Array<Record<string, string[]>> {
  if (access.adminScope) return [{ [SECURITY.adminKey]: [access.adminScope] }];
  if (access.scim) return [{ [SECURITY.scimToken]: [] }];
  if (access.public) return [];
  return [
    // OpenAPI's empty requirement: the credentials are optional.
    ...(access.sessionOptional ? [{}] : []),
    { [SECURITY.sessionCookie]: [] },
    { [SECURITY.sessionToken]: [] },
    ...(access.allowsApiKey ? [{ [SECURITY.apiKey]: [] }] : []),
  ];
}
