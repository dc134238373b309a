import { timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { Profile, SamlConfig } from '@node-saml/node-saml';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import { parseId } from '../http';
import type { SessionAuth } from '../http';
import { OrganizationsService } from '../organizations/organizations.service';
import { IssuedSession, SessionsService } from '../sessions/sessions.service';
import { canonicalEmail } from '../common/email-address';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { ssoStepUpProvider, stepUpMethods } from '../step-up/step-up.guard';
import { emailDomain } from './domains';
import { roleForGroups } from './group-roles';
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
import { SsoEnforcementService } from './sso-enforcement.service';
import { SsoIdentitiesService } from './sso-identities.service';
import type { SamlProvider, SamlRequest } from './sso.entity';
import { SignInCompleter } from '../sign-in/sign-in-completer';
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

export interface CompletedLogin {
  /** A new session, or for a step-up the current session with its new token. */
  session: IssuedSession;
  /** The same-origin path the login asked to return to, if any. */
  returnTo: string | null;
}

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
    private readonly identities: SsoIdentitiesService,
    private readonly enforcement: SsoEnforcementService,
    private readonly repository: SsoRepository,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly sessions: SessionsService,
    private readonly completer: SignInCompleter,
    private readonly audit: AuditService,
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

  private async signIn(
    provider: SamlProvider,
    assertion: ValidatedAssertion,
    request: SamlRequest,
    client: ClientInfo,
  ): Promise<CompletedLogin> {
    const { user, provisioned } = await this.resolveUser(provider, assertion, client);
    await this.users.tieToSsoProvider(user.id, provider.id);
    // Before the session is issued: a role change marks the user's sessions for rotation.
    await this.syncRole(provider, user, assertion, client);
    // As for a password login, a sign-in from a new address mails the user; not on the account's first.
    const session = await this.completer.signIn(user, {
      method: 'saml',
      amr: ['sso'],
      client,
      alertOnNewIp: !provisioned,
      action: 'sso.login',
      details: { userId: user.id, providerId: provider.id, provisioned },
    });
    return { session, returnTo: request.returnTo };
  }

  private dryRun(provider: SamlProvider, assertion: ValidatedAssertion): SamlDryRun {
    const email = assertion.email ? canonicalEmail(assertion.email) : null;
    const dryRun = {
      providerId: provider.id,
      nameId: assertion.nameId,
      nameIdFormat: assertion.nameIdFormat,
      email: assertion.email ?? null,
      emailInDomain: !!email && emailDomain(email) === provider.domain,
      groups: this.groupsOf(provider, assertion),
      role: this.roleOf(provider, assertion),
    };
    this.logger.log({ msg: 'SAML dry run (domain not verified)', providerId: provider.id });
    return dryRun;
  }

  private groupsOf(provider: SamlProvider, assertion: ValidatedAssertion): string[] {
    return provider.groupsAttribute ? attributeValues(assertion.attributes, provider.groupsAttribute) : [];
  }

  private roleOf(provider: SamlProvider, assertion: ValidatedAssertion) {
    return roleForGroups(this.groupsOf(provider, assertion), provider.groupRoleMap, provider.defaultRole);
  }

  /** The account the assertion names, linked or provisioned on its first sign-in. */
  private async resolveUser(
    provider: SamlProvider,
    assertion: ValidatedAssertion,
    client: ClientInfo,
  ): Promise<{ user: UserRecord; provisioned: boolean }> {
    const identity = await this.identities.find(provider.id, assertion.nameId);
    if (identity) {
      const user = await this.users.findById(identity.userId);
      if (!user) throw new SamlRejection('the identity names an account that is gone');
      if (emailDomain(user.email) === provider.domain) {
        await this.identities.touch(provider.id, assertion.nameId);
        // An account the IdP knows by this very address has it verified (SSO users are).
        if (!user.emailVerifiedAt && assertion.email && canonicalEmail(assertion.email) === user.email) {
          await this.users.markEmailVerified(user.id, user.email);
          return { user: (await this.users.findById(user.id)) ?? user, provisioned: false };
        }
        return { user, provisioned: false };
      }
      // The account left the domain: the identity vouched for an address it no longer has. It goes,
      // and the assertion is taken as a first sign-in (its address, if of the domain, is free now).
      await this.identities.unlink(identity, 'address_outside_domain');
    }

    if (!assertion.email) throw new SamlRejection('no email address asserted for a first sign-in');
    const email = canonicalEmail(assertion.email);
    if (!email) throw new SamlRejection('the asserted email is not an address');
    const domain = emailDomain(email);
    if (domain !== provider.domain) {
      throw new SamlRejection(`asserted address of ${domain ?? 'no domain'}, not of ${provider.domain}`);
    }
    let user = await this.users.findByEmail(email);
    // An account that only moved to the address and has not verified it holds nothing: the account
    // made for the address takes it, and that one goes back to its previous address (UsersService.create).
    if (user && !user.emailVerifiedAt && user.previousEmail !== null) user = null;
    let provisioned = false;
    if (user) {
      // Whoever created an unverified account may not be the address's owner (and knows its password).
      if (!user.emailVerifiedAt) throw new SamlRejection('the account with this address never verified it');
    } else {
      try {
        user = await this.users.create({
          email,
          name: assertedName(assertion.attributes),
          passwordHash: null,
          // The domain is verified (an unverified one only answers dry runs): it vouches for the address.
          emailVerified: true,
          ssoProviderId: provider.id,
        });
      } catch (error) {
        if (error instanceof DomainError && error.code === 'email_taken') {
          throw new SamlRejection(
            'the address is taken: an account was created meanwhile, or it is the way back of a pending email change',
          );
        }
        throw error;
      }
      provisioned = true;
      await this.audit.record({
        action: 'sso.user_provisioned',
        actor: user,
        client,
        target: `user:${user.id}`,
        details: { userId: user.id, providerId: provider.id },
      });
    }
    if (!(await this.identities.link(provider.id, assertion.nameId, user.id))) {
      throw new SamlRejection('the identity was linked meanwhile');
    }
    return { user, provisioned };
  }

  /** The membership in the provider's organization, with the role the asserted groups give. */
  private async syncRole(
    provider: SamlProvider,
    user: UserRecord,
    assertion: ValidatedAssertion,
    client: ClientInfo,
  ): Promise<void> {
    const role = this.roleOf(provider, assertion);
    const sync = await this.organizations.syncMembership(provider.orgId, user.id, role);
    if (sync.from === sync.to && !sync.kept) return;
    if (sync.kept) {
      this.logger.warn({
        msg: 'SAML groups would demote the last owner; kept as owner',
        providerId: provider.id,
        orgId: provider.orgId,
        userId: user.id,
        mappedRole: role,
      });
    }
    await this.audit.record({
      action: 'sso.role_changed',
      actor: user,
      client,
      target: `org:${provider.orgId}`,
      details: {
        userId: user.id,
        providerId: provider.id,
        from: sync.from,
        to: sync.to,
        ...(sync.kept ? { mappedRole: role, kept: sync.kept } : {}),
      },
    });
  }

  /**
   * A step-up answered: only for the session that asked, for its own user, with an authentication
   * the IdP made after the request (ForceAuthn asked for one; some IdPs ignore it).
   *
   * The IdP's page posts the Response cross-site, so a browser holds back the SameSite=Lax session
   * cookie: without a current session, the session stored with the request stands for it, since
   * the binding cookie (checked before) proves this is the browser that started the step-up in
   * that session. A current session that does arrive must be that one.
   */
  private async stepUp(
    provider: SamlProvider,
    assertion: ValidatedAssertion,
    request: SamlRequest,
    client: ClientInfo,
    current: SessionAuth | undefined,
  ): Promise<CompletedLogin> {
    const sessionId = request.stepUpSessionId!;
    if (current && current.session.id !== sessionId) {
      throw new SamlRejection('step-up answered outside the session that asked for it');
    }
    const identity = await this.identities.find(provider.id, assertion.nameId);
    if (!identity || (current && identity.userId !== current.user.id)) {
      throw new SamlRejection('step-up asserted someone other than the signed-in user');
    }
    // Without a current session: the asserted user must own the session that asked, still live.
    const user = current?.user ?? (await this.users.findById(identity.userId));
    if (!user || (!current && !(await this.sessions.isOwnLiveSession(user.id, sessionId)))) {
      throw new SamlRejection('step-up asserted someone other than the user of the session that asked, or it ended');
    }
    // The account may have changed since the step-up started (a password set, two-factor turned on,
    // an address moved out of the domain): it is checked as it is now.
    const account = await this.users.findById(user.id);
    if (!account || !(await this.mayStepUpAt(provider, account))) {
      throw new SamlRejection('step-up through a provider this account does not confirm with');
    }
    // AuthnInstant is the IdP's clock, often in whole seconds: the same skew as the assertion's times.
    if (!request.forceAuthn || assertion.authnInstant.getTime() + SAML_CLOCK_SKEW_MS < request.createdAt.getTime()) {
      throw new SamlRejection('step-up with an authentication older than the request');
    }
    await this.identities.touch(provider.id, assertion.nameId);
    const { session } = await this.completer.confirm(user, sessionId, {
      amr: ['sso'],
      client,
      details: { method: 'saml', providerId: provider.id },
    });
    return { session, returnTo: request.returnTo };
  }

  /**
   * Whether the account confirms its identity at this provider: the account's step-up methods hold
   * "sso" (no usable password, no two-factor) for this very provider, whose domain is verified and
   * holds the account's address.
   */
  private async mayStepUpAt(provider: SamlProvider, account: UserRecord): Promise<boolean> {
    const user = {
      hasPassword: account.hasPassword,
      twoFactorEnabled: account.twoFactorEnabled,
      hasPasskey: account.hasPasskey,
      ssoProviderId: account.ssoProviderId,
      enforcedSsoProviderId: await this.enforcement.enforcedProviderFor(account),
    };
    return (
      stepUpMethods(user).includes('sso') &&
      ssoStepUpProvider(user) === provider.id &&
      provider.domainVerifiedAt !== null &&
      emailDomain(account.email) === provider.domain
    );
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
