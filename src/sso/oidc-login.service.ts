import { Injectable, Logger } from '@nestjs/common';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { Cipher, hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import { parseId } from '../http';
import type { SessionAuth } from '../http';
import { sameOriginPath } from '../http/return-to';
import { OrganizationsService } from '../organizations/organizations.service';
import { UsersService } from '../users/users.service';
import { oidcRedirectUri } from './connection-urls';
import { profileOf } from './oidc/claims';
import { OidcRejection } from './oidc/errors';
import { loadOpenIdClient, type OpenIdClient } from './oidc/esm';
import { OIDC_CLOCK_SKEW_SECONDS, verifyIdToken } from './oidc/id-token';
import { fetchJwks, idTokenAlgs, requestOptions, tokenEndpointAuth } from './oidc/op-metadata';
import { OIDC_SECRET_PURPOSE } from './oidc-connections.service';
import { type CompletedLogin, type SsoDryRun, SsoRejection, SsoSignInService } from './sso-sign-in.service';
import { type NewOidcRequest, type OidcConnection, SsoRepository } from './sso.repository';

/** How long the OP has to send the browser back (the request row and the binding cookie live as long). */
export const OIDC_REQUEST_TTL_MS = 10 * 60_000;

export interface StartOidcLogin {
  returnTo?: string;
  /** The value of the fresh browser-binding cookie the login route sets; only its SHA-256 is kept. */
  bindingToken: string;
  /** A signed-in user confirming their identity (step-up) by signing in again at the OP. */
  stepUpSession?: { sessionId: string; userId: string };
  /** The user of the browser's session, if any: an owner may test a connection before its domain is verified. */
  signedInUserId?: string;
}

export interface OidcCallback {
  /** The callback's query string as it arrived (code, state, iss, or error). */
  query: Record<string, unknown>;
  bindingToken: string | undefined;
  client: ClientInfo;
  currentSession?: SessionAuth;
}

export type OidcOutcome = CompletedLogin | { dryRun: SsoDryRun };

/**
 * Sign-in through an organization's OpenID Provider: the authorization code flow with PKCE (S256),
 * its `state` and `nonce` kept server-side with the hash of a cookie that binds them to the browser,
 * single use, ten minutes. The callback redeems the code once (the request row goes first), checks
 * the ID token with openid-client and again with our own rules (src/sso/oidc/id-token.ts), and hands
 * the profile to the sign-in both protocols share. Every refusal is an OidcRejection, logged with its
 * reason; the HTTP layer answers 401 oidc_invalid.
 */
@Injectable()
export class OidcLoginService {
  private readonly logger = new Logger('OidcLogin');

  constructor(
    private readonly txHost: TransactionHost,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly cipher: Cipher,
    private readonly repository: SsoRepository,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly signIns: SsoSignInService,
  ) {}

  /** The authorization URL to send the browser to; the request is stored first. */
  async start(providerId: string, options: StartOidcLogin): Promise<string> {
    const { bindingToken, returnTo, stepUpSession, signedInUserId } = options;
    const connection = await this.findConnection(providerId);
    if (!connection) throw new DomainError('not_found');
    // As for SAML: before the domain is proven, only the organization's owners may use the connection.
    if (!connection.domainVerifiedAt) {
      const role = signedInUserId ? await this.organizations.roleIn(connection.orgId, signedInUserId) : undefined;
      if (role !== 'owner') throw new DomainError('not_found');
    }
    if (stepUpSession) {
      const account = await this.users.findById(stepUpSession.userId);
      if (!account || !(await this.signIns.mayStepUpAt(connection, account))) throw new DomainError('forbidden');
    }
    const client = await loadOpenIdClient();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const now = this.clock.now();
    await this.repository.insertOidcRequest({
      providerId: connection.id,
      stateHash: hashToken(state),
      bindingHash: hashToken(bindingToken),
      nonce,
      codeVerifier,
      returnTo: sameOriginPath(returnTo),
      stepUpSessionId: stepUpSession?.sessionId ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + OIDC_REQUEST_TTL_MS),
    });
    this.logger.log({
      msg: 'OIDC login started',
      providerId: connection.id,
      ...(stepUpSession ? { stepUpSessionId: stepUpSession.sessionId, userId: stepUpSession.userId } : {}),
    });
    const url = client.buildAuthorizationUrl(this.clientConfig(client, connection), {
      response_type: 'code',
      redirect_uri: oidcRedirectUri(this.config.appUrl, connection.id),
      scope: connection.scopes.join(' '),
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      // A step-up wants a new authentication, not the OP's session: asked for, and checked (auth_time).
      ...(stepUpSession ? { prompt: 'login', max_age: '0' } : {}),
    });
    return url.href;
  }

  /** Checks the OP's answer and signs the person in (or re-authenticates the session, or tells a dry run). */
  async callback(providerId: string, callback: OidcCallback): Promise<OidcOutcome> {
    const { query, bindingToken } = callback;
    if (!bindingToken) throw new OidcRejection('no binding cookie');
    if (typeof query.state !== 'string' || query.state.length === 0 || query.state.length > 512) {
      throw new OidcRejection('no state');
    }
    const connection = await this.findConnection(providerId);
    if (!connection) throw new OidcRejection('unknown connection');
    // Outside any transaction: once taken, the request stays spent whatever follows (the code is redeemed once).
    const request = await this.repository.consumeOidcRequest(
      connection.id,
      hashToken(query.state),
      hashToken(bindingToken),
      this.clock.now(),
    );
    if (!request) {
      throw new OidcRejection('the state names no request this browser has in flight (answered, expired or unknown)');
    }
    if (query.error !== undefined) {
      throw new OidcRejection(`the OP answered error=${String(query.error).slice(0, 100)}`);
    }
    const profile = await this.redeem(connection, request, query);
    return this.txHost.withTransaction(async () => {
      try {
        if (request.stepUpSessionId) {
          const skewMs = OIDC_CLOCK_SKEW_SECONDS * 1000;
          return await this.signIns.stepUp(
            connection,
            profile,
            request,
            callback.client,
            callback.currentSession,
            skewMs,
          );
        }
        if (!connection.domainVerifiedAt) return { dryRun: this.signIns.dryRun(connection, profile) };
        return await this.signIns.signIn(connection, profile, request, callback.client);
      } catch (error) {
        if (error instanceof SsoRejection) throw new OidcRejection(error.reason);
        throw error;
      }
    });
  }

  /** The code exchanged at the token endpoint, the ID token checked twice, the profile its claims give. */
  private async redeem(connection: OidcConnection, request: NewOidcRequest, query: Record<string, unknown>) {
    const client = await loadOpenIdClient();
    const config = this.clientConfig(client, connection);
    const callbackUrl = new URL(oidcRedirectUri(this.config.appUrl, connection.id));
    for (const [key, value] of Object.entries(query)) {
      if (typeof value === 'string') callbackUrl.searchParams.set(key, value);
    }
    const stepUp = request.stepUpSessionId !== null;
    let tokens: OpenIdClient.TokenEndpointResponse;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: request.codeVerifier,
        expectedState: query.state as string,
        expectedNonce: request.nonce,
        idTokenExpected: true,
        ...(stepUp ? { maxAge: 0 } : {}),
      });
    } catch (error) {
      throw new OidcRejection(`the code was not redeemed: ${(error as Error).message}`);
    }
    const claims = await verifyIdToken(tokens.id_token!, {
      issuer: connection.issuer,
      clientId: connection.clientId,
      nonce: request.nonce,
      algorithms: idTokenAlgs(connection.metadata),
      jwks: connection.jwks,
      refetchJwks: () => this.refetchJwks(connection),
      now: this.clock.now(),
    });
    if (stepUp && typeof claims.auth_time !== 'number') {
      throw new OidcRejection('a step-up ID token without auth_time');
    }
    let userinfo: Record<string, unknown> | undefined;
    const groupsClaim = connection.groupsAttribute;
    const missing = claims.email === undefined || (groupsClaim !== null && claims[groupsClaim] === undefined);
    if (missing && connection.metadata.userinfo_endpoint && tokens.access_token) {
      try {
        userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub!);
      } catch (error) {
        throw new OidcRejection(`userinfo could not be read: ${(error as Error).message}`);
      }
    }
    return profileOf(claims, userinfo, groupsClaim);
  }

  /** Once per callback, for an ID token signed with a key the cached set lacks. */
  private async refetchJwks(connection: OidcConnection) {
    try {
      const jwks = await fetchJwks(connection.metadata.jwks_uri as string);
      await this.repository.updateJwks(connection.id, jwks, this.clock.now());
      return jwks;
    } catch (error) {
      throw new OidcRejection(`the JWKS could not be fetched again: ${(error as Error).message}`);
    }
  }

  /** openid-client's view of the connection, from the discovery cached at save: no request to build it. */
  private clientConfig(client: typeof OpenIdClient, connection: OidcConnection): OpenIdClient.Configuration {
    const secret = this.cipher.open(connection.clientSecret, OIDC_SECRET_PURPOSE).toString('utf8');
    const auth =
      tokenEndpointAuth(connection.metadata) === 'client_secret_post'
        ? client.ClientSecretPost(secret)
        : client.ClientSecretBasic(secret);
    const config = new client.Configuration(
      connection.metadata as OpenIdClient.ServerMetadata,
      connection.clientId,
      { [client.clockTolerance]: OIDC_CLOCK_SKEW_SECONDS },
      auth,
    );
    const options = requestOptions(client, connection.issuer);
    config.timeout = options.timeout;
    config[client.customFetch] = options[client.customFetch];
    for (const extension of options.execute) extension(config);
    return config;
  }

  /** The OIDC connection, or null when there is none with this id (or it is not an id at all). */
  private async findConnection(id: string): Promise<OidcConnection | null> {
    try {
      return await this.repository.findOidcConnection(parseId(id));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not_found') return null;
      throw error;
    }
  }
}
