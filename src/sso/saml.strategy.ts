import { Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Profile } from '@node-saml/node-saml';
import { MultiSamlStrategy, type MultiStrategyConfig, type VerifyWithRequest } from '@node-saml/passport-saml';
import { DomainError } from '../common/errors';
import { SamlRejection } from './saml';
import { PreparedExchange, SamlExchange, SamlOutcome, SsoLoginService } from './sso-login.service';

/** The passport name of the strategy; the SAML routes' guards use it. */
export const SAML_STRATEGY = 'saml';

/** What the strategy reads on the request: the exchange its route's guard described, and what it prepared. */
export interface SamlStrategyRequest {
  samlExchange?: SamlExchange;
  samlPrepared?: PreparedExchange;
}

/** The errors our own steps threw (provider lookup, database, the checks): passed on as they are. */
const ownErrors = new WeakSet<object>();
function own(error: unknown): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  ownErrors.add(err);
  return err;
}

/**
 * passport-saml's MultiSamlStrategy with per-provider options: each request names its provider (the
 * route's `:id`), whose IdP, certificates and request-id store SsoLoginService.prepare builds. For a
 * login the strategy redirects to the IdP with the AuthnRequest; for the ACS, node-saml validates the
 * Response (signatures, times, audience, InResponseTo against our store) and `validate` signs the
 * person in, provisioning their account just in time (SsoLoginService.complete), so the route's
 * handler finds the outcome (a CompletedLogin, or a dry run) on `request.user`.
 *
 * Whatever node-saml refuses becomes a SamlRejection, logged here with its reason; errors of our own
 * steps pass as they are (a DomainError answers as usual, a database failure is not a rejection).
 */
@Injectable()
export class SamlStrategy extends PassportStrategy(MultiSamlStrategy, SAML_STRATEGY) {
  private readonly logger = new Logger('SsoLogin');

  constructor(private readonly login: SsoLoginService) {
    const options: MultiStrategyConfig = {
      passReqToCallback: true,
      getSamlOptions: (req, done) => {
        const request = req as unknown as SamlStrategyRequest;
        login.prepare(exchangeOf(request)).then(
          (prepared) => {
            request.samlPrepared = prepared;
            done(null, prepared.samlConfig);
          },
          (error: unknown) => done(own(error)),
        );
      },
    };
    // The mixin appends `validate` as the sign-on verify callback, right after the options; the
    // typings declare a logout verify after it, which this service (no single logout) leaves out.
    super(...([options] as unknown as [MultiStrategyConfig, VerifyWithRequest]));
  }

  /**
   * Runs on the instance passport makes for each request, whose `error` reports to the guard: a
   * failure is classified and logged once, on its way there.
   */
  override authenticate(...[req, options]: Parameters<MultiSamlStrategy['authenticate']>): void {
    const request = req as unknown as SamlStrategyRequest;
    // Only logins and login responses: no logout messages, whose handling this service does not offer.
    const query = (req.query ?? {}) as Record<string, unknown>;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (query.SAMLRequest !== undefined || query.SAMLResponse !== undefined || body.SAMLRequest !== undefined) {
      this.error(this.failure(request, new SamlRejection('a SAML message this service does not take')));
      return;
    }
    const report = this.error.bind(this);
    this.error = (error: Error) => report(this.failure(request, error));
    super.authenticate(req, { ...options, samlFallback: 'login-request' });
  }

  async validate(req: unknown, profile: Profile | null): Promise<SamlOutcome> {
    const request = req as SamlStrategyRequest;
    const exchange = exchangeOf(request);
    if (exchange.kind !== 'acs' || !request.samlPrepared)
      throw own(new Error('a SAML profile outside an ACS exchange'));
    try {
      return await this.login.complete(exchange, request.samlPrepared, profile);
    } catch (error) {
      throw own(error);
    }
  }

  private failure(request: SamlStrategyRequest, error: Error): Error {
    const rejection =
      error instanceof SamlRejection || error instanceof DomainError || ownErrors.has(error)
        ? error
        : new SamlRejection(`node-saml: ${error.message}`);
    if (rejection instanceof SamlRejection) {
      this.logger.warn({
        msg: 'SAML response rejected',
        providerId: request.samlExchange?.providerId,
        reason: rejection.reason,
      });
    }
    return rejection;
  }
}

function exchangeOf(request: SamlStrategyRequest): SamlExchange {
  if (!request.samlExchange) throw own(new Error('the SAML strategy runs only behind SamlLoginGuard or SamlAcsGuard'));
  return request.samlExchange;
}
