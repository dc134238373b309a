import type { ClientInfo } from '../../src/common/client-info';
import type { SessionAuth } from '../../src/http';
import type { SamlAuthenticateOptions, SamlStrategy } from '../../src/sso/saml.strategy';
import type { CompletedLogin, SamlExchange, SamlOutcome, StartLoginOptions } from '../../src/sso/sso-login.service';

type Outcome = { redirect: string } | { user: unknown };

/**
 * Runs the app's SAML strategy on one request the way passport does: on an instance of its own whose
 * success, fail, redirect, pass and error settle the outcome. The options carry the exchange the
 * route's guard would have given, so the sign-in can be tested without HTTP.
 */
function run(strategy: SamlStrategy, exchange: SamlExchange, request: Record<string, unknown>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const instance = Object.create(strategy) as SamlStrategy & Record<string, unknown>;
    instance.success = (user: unknown) => resolve({ user });
    instance.redirect = (url: string) => resolve({ redirect: url });
    instance.fail = (challenge: unknown, status?: number) =>
      reject(new Error(`strategy failed: ${status ?? ''} ${JSON.stringify(challenge)}`));
    instance.pass = () => reject(new Error('strategy passed'));
    instance.error = (error: Error) => reject(error);
    const req: Record<string, unknown> = { headers: {}, query: {}, ...request };
    const options: SamlAuthenticateOptions = { samlExchange: exchange };
    instance.authenticate(req as never, options as never);
  });
}

export function samlDriver(strategy: SamlStrategy) {
  return {
    /** GET /auth/saml/:id/login: the IdP URL the strategy redirects to. */
    async start(providerId: string, options: StartLoginOptions): Promise<{ redirectUrl: string }> {
      const outcome = await run(strategy, { kind: 'login', providerId, options }, { method: 'GET' });
      if (!('redirect' in outcome)) throw new Error('the login did not redirect');
      return { redirectUrl: outcome.redirect };
    },
    /** POST /auth/saml/:id/acs: what the strategy hands the route, a sign-in or a dry run. */
    async outcome(
      providerId: string,
      samlResponse: string,
      bindingToken: string | undefined,
      client: ClientInfo,
      currentSession?: SessionAuth,
    ): Promise<SamlOutcome> {
      const exchange: SamlExchange = { kind: 'acs', providerId, samlResponse, bindingToken, client, currentSession };
      const outcome = await run(strategy, exchange, { method: 'POST', body: { SAMLResponse: samlResponse } });
      if (!('user' in outcome)) throw new Error('the ACS redirected');
      return outcome.user as SamlOutcome;
    },
    /** POST /auth/saml/:id/acs: the sign-in the strategy hands the route (a dry run is an error here). */
    async complete(
      providerId: string,
      samlResponse: string,
      bindingToken: string | undefined,
      client: ClientInfo,
      currentSession?: SessionAuth,
    ): Promise<CompletedLogin> {
      const outcome = await this.outcome(providerId, samlResponse, bindingToken, client, currentSession);
      if ('dryRun' in outcome) throw new Error(`a dry run, not a sign-in: ${JSON.stringify(outcome.dryRun)}`);
      return outcome;
    },
  };
}
