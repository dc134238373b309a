import { timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Profile, SamlConfig } from '@node-saml/node-saml';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import { parseId } from '../http';
import type { SessionAuth } from '../http';
import { OrganizationsService } from '../organizations/organizations.service';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { sameOriginPath } from '../http/return-to';
import {
  SAML_CLOCK_SKEW_MS,
  SamlCacheProvider,
  SamlRejection,
  assertedName,
  attributeValues,
  buildSamlConfig,
  checkValidatedProfile,
  decodeSamlResponse,
  precheckSamlResponse,
  type PrecheckedSamlResponse,
  samlUrls,
  type ValidatedAssertion,
} from './saml';
import { PostgresSamlRequestStore, type SamlRequestContext } from './saml-request-store';
import { type CompletedLogin, SsoRejection, SsoSignInService, type VerifiedProfile } from './sso-sign-in.service';
import type { SamlProvider, SamlRequest } from './sso.entity';
import { SsoRepository } from './sso.repository';

export interface StartLoginOptions {
  /** Where to send the browser after the sign-in; kept only when it is a path on our own origin. */
  returnTo?: string;
  /** The value of the fresh browser-binding cookie the login route sets; only its SHA-256 is kept. */
  bindingToken: string;
  /**
   * A signed-in user confirming their identity (step-up) through their IdP: the IdP is asked to
   * authenticate them again (ForceAuthn), and the answer re-authenticates this session.
   */
  stepUpSession?: { sessionId: string; userId: string };
  /** The user of the browser's session, if any: an owner of the provider's organization may test it before its domain is verified. */
  signedInUserId?: string;
}

/**
 * One pass of a SAML route through the strategy (src/sso/saml.strategy.ts), as its guard describes it:
 * a login redirect to start, or a Response posted to the ACS to check.
 */
export type SamlExchange =
  | { kind: 'login'; providerId: string; options: StartLoginOptions }
  | {
      kind: 'acs';
      providerId: string;
      /** The posted SAMLResponse field, the value node-saml is given. */
      samlResponse: unknown;
      /** The binding cookie the browser sent, if any. */
      bindingToken: string | undefined;
      client: ClientInfo;
      /** The browser's session, when its cookie or bearer token came along (a step-up's answer). */
      currentSession?: SessionAuth;
    };

/** An exchange with its provider found: node-saml's options, and the request-id store they use. */
export interface PreparedExchange {
  exchange: SamlExchange;
  provider: SamlProvider;
  store: PostgresSamlRequestStore;
  samlConfig: SamlConfig;
  /** For the ACS: the posted Response as the precheck parsed it, which `complete` reads too. */
  prechecked?: PrecheckedSamlResponse;
}

/**
 * What a sign-in through a provider whose domain is not verified yet would do, for the person
 * setting it up: nothing is created, the Response's records are spent all the same.
 */
export interface SamlDryRun {
  providerId: string;
  nameId: string;
  nameIdFormat: string | null;
  /** The address as asserted (null when none was). */
  email: string | null;
  /** Whether that is an address of the provider's domain (what a sign-in needs). */
  emailInDomain: boolean;
  groups: string[];
  /** The role the groups map to in the provider's organization. */
  role: string;
}

export type SamlOutcome = CompletedLogin | { dryRun: SamlDryRun };

export type { CompletedLogin };

/**
 * Sign-in through an organization's SAML IdP, in the two steps passport-saml's MultiSamlStrategy
 * drives: `prepare` gives it the provider's node-saml options (for a login redirect, or for the
 * Response posted to the ACS, after the pre-checks node-saml lacks), and `complete` takes the profile
 * node-saml validated. A Response is accepted only if it answers a request this browser started
 * (InResponseTo + binding cookie), once (the request row and the assertion id are each taken
 * atomically), and passes node-saml and the checks around it (src/sso/saml).
 *
 * Any reason to refuse a Response is a SamlRejection; the strategy logs its reason and the HTTP
 * layer answers 401 saml_invalid without saying why.
 */
@Injectable()
export class SsoLoginService {
  private readonly logger = new Logger('SsoLogin');

  constructor(
    private readonly txHost: TransactionHost,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly repository: SsoRepository,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly signIns: SsoSignInService,
  ) {}

  /**
   * The provider's node-saml options for this exchange. For a login: the AuthnRequest node-saml
   * builds with them is signed when SAML_SP_PRIVATE_KEY is set, and its id is stored with the hash
   * of the binding token, the sanitised returnTo and, for a step-up, the session it re-authenticates
   * (not_found for an unknown provider). For the ACS: the Response must first pass prepareAcs's
   * checks (SamlRejection otherwise, as for an unknown provider).
   */
  async prepare(exchange: SamlExchange): Promise<PreparedExchange> {
    if (exchange.kind === 'acs') return this.prepareAcs(exchange);
    const provider = await this.findProvider(exchange.providerId);
    const { bindingToken, returnTo, stepUpSession, signedInUserId } = exchange.options;
    if (typeof bindingToken !== 'string' || bindingToken.length < 16) {
      throw new Error('a login needs the binding cookie value (at least 16 characters)');
    }
    if (!provider) throw new DomainError('not_found');
    // Until the domain is proven, whoever set the provider up may point it anywhere: a redirect there
    // for anyone else would be an open redirect, or a sign-in into an account of the setter's choosing.
    // Answered as for an unknown provider, which it is to everyone but its organization's owners.
    if (!provider.domainVerifiedAt) {
      const role = signedInUserId ? await this.organizations.roleIn(provider.orgId, signedInUserId) : undefined;
      if (role !== 'owner') throw new DomainError('not_found');
    }
    if (stepUpSession) {
      const account = await this.users.findById(stepUpSession.userId);
      if (!account || !(await this.mayStepUpAt(provider, account))) throw new DomainError('forbidden');
    }
    const context: SamlRequestContext = {
      bindingHash: hashToken(bindingToken),
      returnTo: sameOriginPath(returnTo),
      forceAuthn: stepUpSession !== undefined,
      stepUpSessionId: stepUpSession?.sessionId ?? null,
    };
    const started = (requestId: string) =>
      this.logger.log({
        msg: 'SAML login started',
        providerId: provider.id,
        requestId,
        ...(stepUpSession ? { stepUpSessionId: stepUpSession.sessionId, userId: stepUpSession.userId } : {}),
      });
    const store = new PostgresSamlRequestStore(this.repository, provider.id, () => this.clock.now(), {
      context,
      onSaved: started,
    });
    const samlConfig = this.samlConfig(provider, store, { forceAuthn: context.forceAuthn });
    return { exchange, provider, store, samlConfig };
  }

  /**
   * The ACS's checks before node-saml, cheapest first, so that a post that answers nothing this browser
   * started costs no parse of its up to 256 KB: the binding cookie present, the body's size and
   * encoding, the request its Response names in flight and bound to that cookie, the tag count, then
   * the one parse this service makes of it, which `complete` reads again. None of them spends the
   * request: a copy that fails must not spoil one that passes.
   *
   * node-saml 5 parses on its own what passes (no API of it takes a parsed document): the Response
   * once with xmldom, the whole text again in xml-crypto for each signature it verifies (Response and
   * Assertion, each per certificate tried), the signed bytes it took once more, and the signed
   * Assertion with xml2js for its profile; xml-crypto also parses each canonical SignedInfo twice.
   * src/sso/saml/acs-parses.spec.ts counts them.
   */
  private async prepareAcs(exchange: Extract<SamlExchange, { kind: 'acs' }>): Promise<PreparedExchange> {
    const { bindingToken } = exchange;
    if (!bindingToken) throw new SamlRejection('no binding cookie');
    const decoded = decodeSamlResponse(exchange.samlResponse);
    const provider = await this.findProvider(exchange.providerId);
    if (!provider) throw new SamlRejection('unknown provider');
    const pending = await this.repository.findRequest(provider.id, decoded.inResponseTo, this.clock.now());
    if (!pending) throw new SamlRejection('InResponseTo names no request in flight (answered, expired or unknown)');
    if (!timingSafeEqual(hashToken(bindingToken), pending.bindingHash)) {
      throw new SamlRejection('the binding cookie is not the one of the browser that started the login');
    }
    const prechecked = precheckSamlResponse(decoded);
    const store = new PostgresSamlRequestStore(this.repository, provider.id, () => this.clock.now());
    return { exchange, provider, store, samlConfig: this.samlConfig(provider, store), prechecked };
  }

  /**
   * Signs the person in with the profile node-saml validated for an ACS exchange: the identity
   * (provider, NameID) names the user; without one, the asserted address of the provider's own
   * domain links an existing account (verified domains only) or provisions one. Every sign-in
   * re-applies the group-to-role map to the membership in the provider's organization. A step-up
   * request instead re-authenticates the session that asked and rotates its token.
   */
  async complete(prepared: PreparedExchange, profile: Profile | null | undefined): Promise<SamlOutcome> {
    const { exchange, provider, store, prechecked } = prepared;
    if (exchange.kind !== 'acs' || !prechecked) throw new Error('a SAML profile outside an ACS exchange');
    const urls = samlUrls(this.config.appUrl, provider.id);
    const assertion = checkValidatedProfile(
      profile,
      { acsUrl: urls.acsUrl, spEntityId: urls.spEntityId, idpEntityId: provider.idpEntityId, now: this.clock.now() },
      prechecked,
    );
    // Outside any transaction: once taken, the request stays spent whatever follows.
    const request = await store.consume(assertion.inResponseTo);
    if (!request) throw new SamlRejection('InResponseTo names no request in flight (answered, expired or unknown)');
    const { bindingToken } = exchange;
    if (!bindingToken || !timingSafeEqual(hashToken(bindingToken), request.bindingHash)) {
      throw new SamlRejection('the binding cookie is not the one of the browser that started the login');
    }
    return this.txHost.withTransaction(async () => {
      const until = new Date(assertion.notOnOrAfter.getTime() + SAML_CLOCK_SKEW_MS);
      if (!(await store.recordAssertion(assertion.assertionId, until))) {
        throw new SamlRejection(`assertion ${assertion.assertionId} was used already`);
      }
      if (request.stepUpSessionId) {
        return this.stepUp(provider, assertion, request, exchange.client, exchange.currentSession);
      }
      // Until the organization proves the domain, its IdP could assert anyone's address: it is tested, never trusted.
      if (!provider.domainVerifiedAt) return { dryRun: this.dryRun(provider, assertion) };
      return this.signIn(provider, assertion, request, exchange.client);
    });
  }

  /** The assertion as a protocol-free profile, for the sign-in both protocols share. */
  private profileOf(provider: SamlProvider, assertion: ValidatedAssertion): VerifiedProfile {
    return {
      subject: assertion.nameId,
      email: assertion.email ?? null,
      name: assertedName(assertion.attributes),
      groups: provider.groupsAttribute ? attributeValues(assertion.attributes, provider.groupsAttribute) : [],
      authenticatedAt: assertion.authnInstant,
    };
  }

  private signIn(
    provider: SamlProvider,
    assertion: ValidatedAssertion,
    request: SamlRequest,
    client: ClientInfo,
  ): Promise<CompletedLogin> {
    return asSaml(() => this.signIns.signIn(provider, this.profileOf(provider, assertion), request, client));
  }

  private dryRun(provider: SamlProvider, assertion: ValidatedAssertion): SamlDryRun {
    const { subject, ...dryRun } = this.signIns.dryRun(provider, this.profileOf(provider, assertion));
    return { ...dryRun, nameId: subject, nameIdFormat: assertion.nameIdFormat };
  }

  /** A step-up answered; the IdP was asked for ForceAuthn, and its AuthnInstant gets the assertion's skew. */
  private stepUp(
    provider: SamlProvider,
    assertion: ValidatedAssertion,
    request: SamlRequest,
    client: ClientInfo,
    current: SessionAuth | undefined,
  ): Promise<CompletedLogin> {
    if (!request.forceAuthn) throw new SamlRejection('step-up answered a request that did not ask for ForceAuthn');
    const profile = this.profileOf(provider, assertion);
    return asSaml(() => this.signIns.stepUp(provider, profile, request, client, current, SAML_CLOCK_SKEW_MS));
  }

  private mayStepUpAt(provider: SamlProvider, account: UserRecord): Promise<boolean> {
    return this.signIns.mayStepUpAt(provider, account);
  }

  /** The provider, or null when there is none with this id (or it is not an id at all). */
  private async findProvider(id: string): Promise<SamlProvider | null> {
    try {
      return await this.repository.findProvider(parseId(id));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not_found') return null;
      throw error;
    }
  }

  private samlConfig(provider: SamlProvider, store: PostgresSamlRequestStore, options: { forceAuthn?: boolean } = {}) {
    const app = {
      appUrl: this.config.appUrl,
      spPrivateKey: this.config.samlSp?.privateKey,
      spCert: this.config.samlSp?.cert,
    };
    return buildSamlConfig(provider, app, new SamlCacheProvider(store, () => this.clock.now()), options);
  }
}

/** The shared sign-in's refusals, as the SAML strategy knows refusals. */
async function asSaml<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SsoRejection) throw new SamlRejection(error.reason);
    throw error;
  }
}
