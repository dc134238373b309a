import { Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Profile } from '@node-saml/node-saml';
import { MultiSamlStrategy, type MultiStrategyConfig, type VerifyWithRequest } from '@node-saml/passport-saml';
import { DomainError } from '../common/errors';
import { SamlRejection } from './saml';
import { SsoLoginService, type PreparedExchange, type SamlExchange, type SamlOutcome } from './sso-login.service';

/** The passport name of the strategy; the SAML routes' guards use it. */
export const SAML_STRATEGY = 'saml';

/** The authenticate options the routes' guards hand the strategy: the exchange they describe. */
export interface SamlAuthenticateOptions {
  samlExchange: SamlExchange;
}

/**
 * What passport-saml is handed as its request: the fields of the HTTP request it reads, and the
 * exchange prepared for it. passport-saml passes that value, unchanged, to `getSamlOptions` and to
 * the verify callback; so the prepared exchange reaches them as an argument, made once.
 */
interface SamlCall {
  query: unknown;
  body: unknown;
  headers: unknown;
  url: unknown;
  res: unknown;
  prepared: PreparedExchange;
}

/** The errors our own steps threw (provider lookup, database, the checks): passed on as they are. */
const ownErrors = new WeakSet<object>();
function own(error: unknown): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  ownErrors.add(err);
  return err;
}

/**
 * passport-saml's MultiSamlStrategy with per-provider options. Each request, in this order:
 * SsoLoginService.prepare finds the provider its route's guard named and builds its node-saml options
 * (for the ACS, after the checks that cost least, and the one parse of the Response ours makes);
 * passport-saml redirects to the IdP with the AuthnRequest, or has node-saml validate the posted
 * Response (signatures, times, audience, InResponseTo against our store); then the verify callback,
 * `validate`, hands the profile to SsoLoginService.complete, which signs the person in and answers
 * what passport puts on `request.user` for the route's handler (a CompletedLogin, or a dry run).
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
      getSamlOptions: (call, done) => done(null, (call as unknown as SamlCall).prepared.samlConfig),
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
    const exchange = (options as Partial<SamlAuthenticateOptions> | undefined)?.samlExchange;
    const report = this.error.bind(this);
    this.error = (error: Error) => report(this.failure(exchange?.providerId, error));
    if (!exchange) {
      this.error(own(new Error('the SAML strategy runs only behind SamlLoginGuard or SamlAcsGuard')));
      return;
    }
    // Only logins and login responses: no logout messages, whose handling this service does not offer.
    const query = (req.query ?? {}) as Record<string, unknown>;
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (query.SAMLRequest !== undefined || query.SAMLResponse !== undefined || body.SAMLRequest !== undefined) {
      this.error(new SamlRejection('a SAML message this service does not take'));
      return;
    }
    this.login.prepare(exchange).then(
      (prepared) => {
        const call: SamlCall = {
          query: req.query,
          body: req.body,
          headers: req.headers,
          url: req.url,
          res: req.res,
          prepared,
        };
        super.authenticate(call as never, { ...options, samlFallback: 'login-request' });
      },
      (error: unknown) => this.error(own(error)),
    );
  }

  async validate(call: unknown, profile: Profile | null): Promise<SamlOutcome> {
    try {
      return await this.login.complete((call as SamlCall).prepared, profile);
    } catch (error) {
      throw own(error);
    }
  }

  private failure(providerId: string | undefined, error: Error): Error {
    const rejection =
      error instanceof SamlRejection || error instanceof DomainError || ownErrors.has(error)
        ? error
        : new SamlRejection(`node-saml: ${error.message}`);
    if (rejection instanceof SamlRejection) {
      this.logger.warn({ msg: 'SAML response rejected', providerId, reason: rejection.reason });
    }
    return rejection;
  }
}
