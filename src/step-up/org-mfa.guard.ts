import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { CredentialPolicy } from '../common/credential-policy';
import { DomainError } from '../common/errors';
import { AuthContext, AuthenticatedRequest, isOrgRoute, OUTSIDE_ORG_MFA_RULE, parseId, routeHas } from '../http';
import type { UserView } from '../http';
import { hasSecondFactor, mfaEnrollmentRequired } from '../organizations/mfa-policy';
import { OrganizationsService } from '../organizations/organizations.service';
import { SessionsService } from '../sessions/sessions.service';
import { CONFIRM_URL, ssoStepUpProvider, StepUpMethod, stepUpMethods, stepUpSsoUrl } from './step-up.guard';

/** What a session shows of itself to an organization's MFA rule. */
export interface SessionProof {
  /** When it last proved a second factor (TOTP or a passkey), if ever. */
  secondFactorAt: Date | null;
  /** The organization of the SSO connection that last signed it in or confirmed it, if any. */
  ssoOrgId: string | null;
  /** False for a token a rotation replaced: it keeps its session briefly, never its proofs. */
  currentToken: boolean;
}

/**
 * The organization's MFA rule for a member whose organization requires it: `allowed`; `enroll`, the
 * account has no second factor (403 mfa_enrollment_required); `confirm`, it has one and this session
 * has not proved it (403 mfa_required). A session of the organization's own SSO connection satisfies
 * the rule (the IdP governs its factors); another organization's does not. A second factor the
 * session proved counts only while the account still has one: a member who turns theirs off is
 * asked to enrol again.
 */
export function orgMfaVerdict(
  account: Pick<UserView, 'twoFactorEnabled' | 'hasPasskey'>,
  session: SessionProof | undefined,
  orgId: string,
): 'allowed' | 'enroll' | 'confirm' {
  const live = session?.currentToken === true ? session : undefined;
  if (live && live.ssoOrgId === orgId) return 'allowed';
  if (!hasSecondFactor(account)) return 'enroll';
  return live?.secondFactorAt ? 'allowed' : 'confirm';
}

/** The confirmations that satisfy the rule: the user's step-up methods that prove a second factor. */
export function mfaMethods(user: Parameters<typeof stepUpMethods>[0]): StepUpMethod[] {
  return stepUpMethods(user).filter((method) => method === 'totp' || method === 'passkey');
}

const METHOD_WORDS: Partial<Record<StepUpMethod, string>> = {
  totp: 'an authenticator or recovery code',
  passkey: 'a passkey',
};

/** 403 mfa_required for a session to confirm with a second factor at POST /auth/confirm. */
export function mfaRequired(methods: StepUpMethod[]): DomainError {
  const words = methods.map((method) => METHOD_WORDS[method]).join(' or ');
  return new DomainError(
    'mfa_required',
    { confirmUrl: CONFIRM_URL, methods },
    {
      message: `This organization requires a second factor: confirm this session with POST ${CONFIRM_URL} (${words}).`,
    },
  );
}

/**
 * Global, after the VerifiedGuard and before the StepUpGuard (one confirmation with a second factor
 * then satisfies both): on every route under /orgs/:id (src/http/route-access.ts, isOrgRoute), but
 * those marked @OutsideOrgMfaRule(), a member of an organization that requires MFA needs a second
 * factor on their account and proved by their session. Other routes pay nothing; an organization
 * route pays one query (its policy, with the caller's membership), and only where the rule applies,
 * one more by primary key for what the session proved. An API key has no session to prove a factor
 * with: it passes while its owner has a second factor (else 403 mfa_enrollment_required) and the
 * session that made it had proved one (else 403 mfa_required: a key made with the password alone,
 * e.g. before the owner enrolled, never counts).
 */
@Injectable()
export class OrgMfaGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly organizations: OrganizationsService,
    private readonly sessions: SessionsService,
    private readonly policy: CredentialPolicy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!isOrgRoute(context.getClass(), context.getHandler())) return true;
    if (routeHas(this.reflector, OUTSIDE_ORG_MFA_RULE, context)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { auth } = request;
    const orgId = uuidOrUndefined(request.params?.id);
    // Without an organization id or a caller, the route answers for itself (404, 401).
    if (!auth || auth.kind === 'admin' || !orgId) return true;
    if (!(await this.organizations.requiresMfaOf(orgId, auth.user.id))) return true;
    await this.assertSatisfied(auth, orgId);
    return true;
  }

  private async assertSatisfied(auth: AuthContext, orgId: string): Promise<void> {
    if (auth.kind === 'api-key') {
      if (!hasSecondFactor(auth.user)) throw mfaEnrollmentRequired();
      if (auth.apiKey.secondFactor) return;
      // Made by a session that proved no second factor (e.g. before the account had one): it never will.
      throw new DomainError(
        'mfa_required',
        { confirmUrl: CONFIRM_URL, methods: mfaMethods(auth.user) },
        {
          message:
            'This API key was made by a session that had not proved a second factor: make a new key from a ' +
            `session confirmed with one (POST ${CONFIRM_URL}).`,
        },
      );
    }
    const proof = await this.sessions.authenticationOf(auth.session.id, auth.session.tokenHash);
    const ssoOrgId =
      proof?.currentToken && proof.ssoConnectionId
        ? await this.policy.ssoConnectionOrganization(proof.ssoConnectionId)
        : null;
    const verdict = orgMfaVerdict(auth.user, proof && { ...proof, ssoOrgId }, orgId);
    if (verdict === 'allowed') return;
    const user = { ...auth.user, enforcedSsoProviderId: await this.policy.enforcedSsoProvider(auth.user) };
    if (verdict === 'confirm') throw mfaRequired(mfaMethods(user));
    throw (await this.ownSsoConfirmation(user, orgId)) ?? mfaEnrollmentRequired();
  }

  /**
   * An account without a second factor that confirms at the organization's own SSO connection (no
   * usable password: the IdP signs it in) satisfies the rule by signing in there again: 403
   * mfa_required with `methods: ["sso"]` and the `ssoUrl` a step-up goes through.
   */
  private async ownSsoConfirmation(
    user: Parameters<typeof stepUpMethods>[0],
    orgId: string,
  ): Promise<DomainError | undefined> {
    if (!stepUpMethods(user).includes('sso')) return undefined;
    const providerId = ssoStepUpProvider(user);
    if (!providerId || (await this.policy.ssoConnectionOrganization(providerId)) !== orgId) return undefined;
    const ssoUrl = stepUpSsoUrl(providerId, await this.policy.ssoLoginPath(providerId));
    return new DomainError(
      'mfa_required',
      { confirmUrl: CONFIRM_URL, methods: ['sso'], ssoUrl },
      { message: 'This organization requires its own sign-in: sign in again through your organization at ssoUrl.' },
    );
  }
}

function uuidOrUndefined(value: unknown): string | undefined {
  try {
    return parseId(value);
  } catch {
    return undefined;
  }
}
