import { randomBytes } from 'node:crypto';
import { ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FORM_TYPE } from '../common/body-parsers';
import { clientInfoOf } from '../common/client-info';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { parseId, PassportGuard, readCookie } from '../http';
import type { SessionAuth } from '../http';
import { BrowserSession } from './browser-session';
import { SamlRejection } from './saml';
import { SAML_STRATEGY, type SamlAuthenticateOptions } from './saml.strategy';

/** The cookie that ties an ACS post to the browser that started the login (only its hash is stored). */
export const BINDING_COOKIE = 'saml_binding';
/** As long as an AuthnRequest is answered (saml_requests keeps it 10 minutes). */
const BINDING_MAX_AGE_SECONDS = 600;

type SamlHttpRequest = FastifyRequest & { params: { id?: string } };

/**
 * What both SAML routes need before the strategy runs: the provider id from the path (a malformed
 * one is not_found, as @IdParam would say), and the browser's session, read as the global guard
 * reads it on other routes (these routes are public). Any SamlRejection answers 401 saml_invalid.
 */
@Injectable()
abstract class SamlRouteGuard extends PassportGuard(SAML_STRATEGY) {
  constructor(
    protected readonly config: AppConfig,
    private readonly browserSession: BrowserSession,
  ) {
    super();
  }

  /** What the strategy ended with: a SamlRejection (logged there with its reason) says nothing more than saml_invalid. */
  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error instanceof SamlRejection) throw new DomainError('saml_invalid');
    if (error) throw error;
    if (!user) throw new DomainError('saml_invalid');
    return user;
  }

  protected providerIdOf(request: SamlHttpRequest): string {
    return parseId(request.params.id ?? '');
  }

  /** The request's session (bearer or cookie); undefined when it carries none. A dead one answers as elsewhere. */
  protected currentSession(request: FastifyRequest, reply: FastifyReply): Promise<SessionAuth | undefined> {
    return this.browserSession.of(request, reply);
  }

  /**
   * HttpOnly, for this provider's routes only. On https the ACS post comes cross-site from the IdP,
   * so the cookie must be SameSite=None (and so Secure); on http (development) Lax is what browsers keep.
   */
  protected bindingCookie(providerId: string, value: string, maxAge: number): string {
    const sameSite = this.config.secureCookies ? 'Secure; SameSite=None' : 'SameSite=Lax';
    return `${BINDING_COOKIE}=${value}; Path=/auth/saml/${providerId}/; Max-Age=${maxAge}; HttpOnly; ${sameSite}`;
  }
}

/**
 * `GET /auth/saml/:id/login`: sets a fresh binding cookie and lets the strategy redirect to the IdP.
 * With `stepUp=1`, the signed-in user of this provider whose step-up methods hold `sso` asks to confirm their identity there.
 */
@Injectable()
export class SamlLoginGuard extends SamlRouteGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    try {
      return (await super.canActivate(context)) as boolean;
    } catch (error) {
      // Only the strategy's redirect carries the cookie; not an error answer (an unknown provider).
      const kept = [reply.getHeader('set-cookie') ?? []]
        .flat()
        .filter((value) => !String(value).startsWith(`${BINDING_COOKIE}=`));
      reply.removeHeader('set-cookie');
      if (kept.length > 0) reply.header('Set-Cookie', kept);
      throw error;
    }
  }

  /** The exchange the strategy starts, with a fresh binding cookie on the reply. */
  override async getAuthenticateOptions(context: ExecutionContext): Promise<SamlAuthenticateOptions> {
    const request = context.switchToHttp().getRequest<SamlHttpRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const providerId = this.providerIdOf(request);
    const query = (request.query ?? {}) as Record<string, unknown>;
    let stepUpSession: { sessionId: string; userId: string } | undefined;
    let signedInUserId: string | undefined;
    if (query.stepUp !== undefined) {
      if (query.stepUp !== '1') throw new DomainError('bad_request', {}, { message: 'stepUp must be 1 when given.' });
      const current = await this.currentSession(request, reply);
      if (!current) throw new DomainError('unauthenticated');
      signedInUserId = current.user.id;
      // Whether this user confirms at this provider is SsoLoginService.prepare's to say (forbidden otherwise).
      stepUpSession = { sessionId: current.session.id, userId: current.user.id };
    } else {
      // Only to let an owner test a provider whose domain is not verified yet: a dead session is no one.
      signedInUserId = (await this.currentSession(request, reply).catch(() => undefined))?.user.id;
    }
    const bindingToken = randomBytes(32).toString('base64url');
    reply.header('Set-Cookie', this.bindingCookie(providerId, bindingToken, BINDING_MAX_AGE_SECONDS));
    return {
      samlExchange: {
        kind: 'login',
        providerId,
        options: {
          returnTo: typeof query.returnTo === 'string' ? query.returnTo : undefined,
          bindingToken,
          stepUpSession,
          signedInUserId,
        },
      },
    };
  }
}

/**
 * `POST /auth/saml/:id/acs`: hands the strategy the posted Response with the binding cookie and the
 * current session; the CompletedLogin lands on `request.user`. The binding cookie is spent either way.
 */
@Injectable()
export class SamlAcsGuard extends SamlRouteGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<SamlHttpRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    // @AcceptFormBody lets JSON in too; an IdP only ever posts a form.
    if (!isFormPost(request.headers['content-type'])) throw new DomainError('unsupported_media_type');
    reply.header('Set-Cookie', this.bindingCookie(this.providerIdOf(request), '', 0));
    return super.canActivate(context) as Promise<boolean>;
  }

  /** The exchange the strategy completes: the posted Response, the binding cookie, the browser's session. */
  override async getAuthenticateOptions(context: ExecutionContext): Promise<SamlAuthenticateOptions> {
    const request = context.switchToHttp().getRequest<SamlHttpRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const body = request.body as Record<string, unknown> | undefined;
    return {
      samlExchange: {
        kind: 'acs',
        providerId: this.providerIdOf(request),
        samlResponse: body?.SAMLResponse,
        bindingToken: readCookie(request, BINDING_COOKIE),
        client: clientInfoOf(request),
        currentSession: await this.currentSession(request, reply).catch(() => undefined),
      },
    };
  }
}

function isFormPost(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === FORM_TYPE;
}
