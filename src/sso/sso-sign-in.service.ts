import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { canonicalEmail } from '../common/email-address';
import { DomainError } from '../common/errors';
import type { SessionAuth } from '../http';
import { OrganizationsService } from '../organizations/organizations.service';
import type { IssuedSession } from '../sessions/sessions.service';
import { SessionsService } from '../sessions/sessions.service';
import { SignInCompleter } from '../sign-in/sign-in-completer';
import { ssoStepUpProvider, stepUpMethods } from '../step-up/step-up.guard';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { emailDomain } from './domains';
import { roleForGroups } from './group-roles';
import { SsoEnforcementService } from './sso-enforcement.service';
import { SsoIdentitiesService } from './sso-identities.service';
import type { SsoConnection, SsoProtocol } from './sso.entity';

/**
 * What a protocol adapter makes of one browser round trip to the IdP, once it checked everything
 * the protocol asks: who the IdP says this is. Nothing in it is trusted further than the connection.
 */
export interface VerifiedProfile {
  /** The IdP's stable key for the person: a SAML NameID, an OIDC `sub`. */
  subject: string;
  /** The address as asserted (not yet canonical), if any. */
  email: string | null;
  name: string | null;
  groups: string[];
  /** When the IdP authenticated the person (AuthnInstant, auth_time). */
  authenticatedAt: Date;
}

/** The request the round trip answered, as either protocol stored it. */
export interface AnsweredRequest {
  returnTo: string | null;
  /** The session a step-up re-authenticates. */
  stepUpSessionId: string | null;
  createdAt: Date;
}

export interface CompletedLogin {
  /** A new session, or for a step-up the current session with its new token. */
  session: IssuedSession;
  /** The same-origin path the login asked to return to, if any. */
  returnTo: string | null;
}

/** What a sign-in through a connection whose domain is not verified yet would do; nothing is created. */
export interface SsoDryRun {
  providerId: string;
  subject: string;
  /** The address as asserted (null when none was). */
  email: string | null;
  /** Whether that is an address of the connection's domain (what a sign-in needs). */
  emailInDomain: boolean;
  groups: string[];
  /** The role the groups map to in the connection's organization. */
  role: string;
}

/**
 * A profile the sign-in cannot accept. `reason` is for the log; the adapter answers its protocol's
 * 401 (saml_invalid, oidc_invalid) without saying why.
 */
export class SsoRejection extends Error {
  constructor(readonly reason: string) {
    super(`SSO sign-in rejected: ${reason}`);
    this.name = 'SsoRejection';
  }
}

/**
 * The sign-in through an SSO connection once a protocol verified the IdP's answer, the same for SAML
 * and OIDC: the identity (connection, subject) names the user; without one, the address of the
 * connection's own domain links an existing account (verified domains only) or provisions one
 * (no password, verified address). Every sign-in re-applies the group-to-role map to the membership
 * in the connection's organization. A step-up re-authenticates the session that asked instead.
 * Call inside a transaction.
 */
@Injectable()
export class SsoSignInService {
  private readonly logger = new Logger('SsoSignIn');

  constructor(
    private readonly identities: SsoIdentitiesService,
    private readonly enforcement: SsoEnforcementService,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly sessions: SessionsService,
    private readonly completer: SignInCompleter,
    private readonly audit: AuditService,
  ) {}

  async signIn(
    connection: SsoConnection,
    profile: VerifiedProfile,
    request: AnsweredRequest,
    client: ClientInfo,
  ): Promise<CompletedLogin> {
    const { user, provisioned } = await this.resolveUser(connection, profile, client);
    await this.users.tieToSsoProvider(user.id, connection.id);
    // Before the session is issued: a role change marks the user's sessions for rotation.
    await this.syncRole(connection, user, profile, client);
    // As for a password login, a sign-in from a new address mails the user; not on the account's first.
    const session = await this.completer.signIn(user, {
      method: connection.protocol,
      amr: ['sso'],
      ssoConnectionId: connection.id,
      client,
      alertOnNewIp: !provisioned,
      action: 'sso.login',
      details: { userId: user.id, providerId: connection.id, provisioned },
    });
    return { session, returnTo: request.returnTo };
  }

  /** Until the organization proves the domain, its IdP could assert anyone's address: tested, never trusted. */
  dryRun(connection: SsoConnection, profile: VerifiedProfile): SsoDryRun {
    const email = profile.email ? canonicalEmail(profile.email) : null;
    this.logger.log({ msg: 'SSO dry run (domain not verified)', providerId: connection.id });
    return {
      providerId: connection.id,
      subject: profile.subject,
      email: profile.email,
      emailInDomain: !!email && emailDomain(email) === connection.domain,
      groups: profile.groups,
      role: this.roleOf(connection, profile),
    };
  }

  private roleOf(connection: SsoConnection, profile: VerifiedProfile) {
    return roleForGroups(profile.groups, connection.groupRoleMap, connection.defaultRole);
  }

  /** The account the profile names, linked or provisioned on its first sign-in. */
  private async resolveUser(
    connection: SsoConnection,
    profile: VerifiedProfile,
    client: ClientInfo,
  ): Promise<{ user: UserRecord; provisioned: boolean }> {
    const identity = await this.identities.find(connection.id, profile.subject);
    if (identity) {
      const user = await this.users.findById(identity.userId);
      if (!user) throw new SsoRejection('the identity names an account that is gone');
      if (emailDomain(user.email) === connection.domain) {
        await this.identities.touch(connection.id, profile.subject);
        // An account the IdP knows by this very address has it verified (SSO users are).
        if (!user.emailVerifiedAt && profile.email && canonicalEmail(profile.email) === user.email) {
          await this.users.markEmailVerified(user.id, user.email);
          return { user: (await this.users.findById(user.id)) ?? user, provisioned: false };
        }
        return { user, provisioned: false };
      }
      // The account left the domain: the identity vouched for an address it no longer has. It goes,
      // and the profile is taken as a first sign-in (its address, if of the domain, is free now).
      await this.identities.unlink(identity, 'address_outside_domain');
    }

    if (!profile.email) throw new SsoRejection('no email address asserted for a first sign-in');
    const email = canonicalEmail(profile.email);
    if (!email) throw new SsoRejection('the asserted email is not an address');
    const domain = emailDomain(email);
    if (domain !== connection.domain) {
      throw new SsoRejection(`asserted address of ${domain ?? 'no domain'}, not of ${connection.domain}`);
    }
    let user = await this.users.findByEmail(email);
    // An account that only moved to the address and has not verified it holds nothing: the account
    // made for the address takes it, and that one goes back to its previous address (UsersService.create).
    if (user && !user.emailVerifiedAt && user.previousEmail !== null) user = null;
    let provisioned = false;
    if (user) {
      // Whoever created an unverified account may not be the address's owner (and knows its password).
      if (!user.emailVerifiedAt) throw new SsoRejection('the account with this address never verified it');
    } else {
      try {
        user = await this.users.create({
          email,
          name: profile.name,
          passwordHash: null,
          // The domain is verified (an unverified one only answers dry runs): it vouches for the address.
          emailVerified: true,
          ssoProviderId: connection.id,
        });
      } catch (error) {
        if (error instanceof DomainError && error.code === 'email_taken') {
          throw new SsoRejection(
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
        details: { userId: user.id, providerId: connection.id },
      });
    }
    if (!(await this.identities.link(connection.id, profile.subject, user.id))) {
      throw new SsoRejection('the identity was linked meanwhile');
    }
    return { user, provisioned };
  }

  /** The membership in the connection's organization, with the role the asserted groups give. */
  private async syncRole(
    connection: SsoConnection,
    user: UserRecord,
    profile: VerifiedProfile,
    client: ClientInfo,
  ): Promise<void> {
    const role = this.roleOf(connection, profile);
    const sync = await this.organizations.syncMembership(connection.orgId, user.id, role);
    if (sync.from === sync.to && !sync.kept) return;
    if (sync.kept) {
      this.logger.warn({
        msg: 'SSO groups would demote the last owner; kept as owner',
        providerId: connection.id,
        orgId: connection.orgId,
        userId: user.id,
        mappedRole: role,
      });
    }
    await this.audit.record({
      action: 'sso.role_changed',
      actor: user,
      client,
      target: `org:${connection.orgId}`,
      details: {
        userId: user.id,
        providerId: connection.id,
        from: sync.from,
        to: sync.to,
        ...(sync.kept ? { mappedRole: role, kept: sync.kept } : {}),
      },
    });
  }

  /**
   * A step-up answered: only for the session that asked, for its own user, with an authentication
   * the IdP made after the request (the adapter asked for a fresh one; some IdPs ignore it), within
   * `skewMs` of the IdP's clock.
   *
   * The IdP sends the browser back cross-site, so a browser may hold back the SameSite=Lax session
   * cookie: without a current session, the session stored with the request stands for it, since
   * the binding cookie (checked by the adapter) proves this is the browser that started the step-up
   * in that session. A current session that does arrive must be that one.
   */
  async stepUp(
    connection: SsoConnection,
    profile: VerifiedProfile,
    request: AnsweredRequest,
    client: ClientInfo,
    current: SessionAuth | undefined,
    skewMs: number,
  ): Promise<CompletedLogin> {
    const sessionId = request.stepUpSessionId!;
    if (current && current.session.id !== sessionId) {
      throw new SsoRejection('step-up answered outside the session that asked for it');
    }
    const identity = await this.identities.find(connection.id, profile.subject);
    if (!identity || (current && identity.userId !== current.user.id)) {
      throw new SsoRejection('step-up asserted someone other than the signed-in user');
    }
    // Without a current session: the asserted user must own the session that asked, still live.
    const user = current?.user ?? (await this.users.findById(identity.userId));
    if (!user || (!current && !(await this.sessions.isOwnLiveSession(user.id, sessionId)))) {
      throw new SsoRejection('step-up asserted someone other than the user of the session that asked, or it ended');
    }
    // The account may have changed since the step-up started (a password set, two-factor turned on,
    // an address moved out of the domain): it is checked as it is now.
    const account = await this.users.findById(user.id);
    if (!account || !(await this.mayStepUpAt(connection, account))) {
      throw new SsoRejection('step-up through a provider this account does not confirm with');
    }
    if (profile.authenticatedAt.getTime() + skewMs < request.createdAt.getTime()) {
      throw new SsoRejection('step-up with an authentication older than the request');
    }
    await this.identities.touch(connection.id, profile.subject);
    const { session } = await this.completer.confirm(user, sessionId, {
      amr: ['sso'],
      ssoConnectionId: connection.id,
      client,
      details: { method: connection.protocol satisfies SsoProtocol, providerId: connection.id },
    });
    return { session, returnTo: request.returnTo };
  }

  /**
   * Whether the account confirms its identity at this connection: the account's step-up methods hold
   * "sso" (no usable password, no two-factor) for this very connection, whose domain is verified and
   * holds the account's address.
   */
  async mayStepUpAt(connection: SsoConnection, account: UserRecord): Promise<boolean> {
    const user = {
      hasPassword: account.hasPassword,
      twoFactorEnabled: account.twoFactorEnabled,
      hasPasskey: account.hasPasskey,
      ssoProviderId: account.ssoProviderId,
      enforcedSsoProviderId: await this.enforcement.enforcedProviderFor(account),
    };
    return (
      stepUpMethods(user).includes('sso') &&
      ssoStepUpProvider(user) === connection.id &&
      connection.domainVerifiedAt !== null &&
      emailDomain(account.email) === connection.domain
    );
  }
}
