import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { Clock } from '../common/clock';
import { API_KEY_PREFIX } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import type { SessionAuth, UserView } from '../http';
import { OrganizationsService } from '../organizations/organizations.service';
import { SessionsService } from '../sessions/sessions.service';
import { loadJose } from './jose';
import { SIGNING_ALGORITHM, SigningKeysService } from './signing-keys.service';

/** An access token for the product's backend, and when it expires. */
export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

/** RFC 7662's answer: a live credential with its subject, or `{active: false}` and nothing else. */
export type Introspection =
  | {
      active: true;
      sub: string;
      /** The session; null for an API key. */
      sid: string | null;
      email: string;
      email_verified: boolean;
      orgs: Record<string, string>;
      /** Seconds since the epoch; null for an API key (it has no expiry). */
      exp: number | null;
      /** Seconds since the epoch; null for an API key (it authenticates nobody anew). */
      auth_time: number | null;
    }
  | { active: false };

const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Short-lived JWTs that tell the product's own backend who a session is without a call per request,
 * and introspection, which answers for a session token or API key as of now.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly keys: SigningKeysService,
    private readonly sessions: SessionsService,
    private readonly apiKeys: ApiKeysService,
    private readonly organizations: OrganizationsService,
  ) {}

  /**
   * Signs a token for the request's session. `auth_time` is the session's last authentication
   * (its latest confirmation, else its sign-in), as OpenID Connect means it; the token never
   * outlives the session's absolute end.
   */
  async issue({ user, session }: SessionAuth): Promise<IssuedAccessToken> {
    const [authentication, orgs, signer, { SignJWT }] = await Promise.all([
      this.sessions.authenticationOf(session.id, session.tokenHash),
      this.orgsOf(user.id),
      this.keys.signer(),
      loadJose(),
    ]);
    // Signed out by another request in the meantime.
    if (!authentication) throw new DomainError('session_expired', { reason: 'revoked' });
    // A token a rotation replaced (in its grace) keeps the session, never what the confirmation that
    // replaced it proved: it claims the sign-in's time and no method.
    const current = authentication.currentToken;
    const issuedAt = seconds(this.clock.now());
    const expiresAt = Math.min(issuedAt + Math.ceil(this.config.accessTokenTtlMs / 1000), seconds(session.expiresAt));
    const token = await new SignJWT({
      sid: session.id,
      email: user.email,
      email_verified: user.emailVerifiedAt !== null,
      orgs,
      amr: current ? authentication.amr : [],
      auth_time: seconds(current ? authentication.authenticatedAt : authentication.signedInAt),
    })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: signer.kid, typ: 'JWT' })
      .setIssuer(this.config.appUrl)
      .setAudience(this.config.accessTokenAudience)
      .setSubject(user.id)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(signer.key);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }

  /**
   * RFC 7662 for a session token or a user API key: active only while it works, as the guard would
   * judge it now, and its account is not scheduled for deletion (which leaves it only the deletion
   * routes). Asking touches nothing: the session's last activity and the key's last use stay.
   */
  async introspect(token: string): Promise<Introspection> {
    if (token.startsWith(API_KEY_PREFIX)) {
      const key = await this.apiKeys.inspect(token);
      if (!key) return { active: false };
      return this.active(key.user, { sid: null, exp: null, auth_time: null });
    }
    const session = await this.sessions.inspect(token);
    if (!session || session.user.deletionScheduledFor) return { active: false };
    return this.active(session.user, {
      sid: session.sessionId,
      exp: seconds(session.expiresAt),
      auth_time: seconds(session.authenticatedAt),
    });
  }

  private async active(
    user: UserView,
    about: { sid: string | null; exp: number | null; auth_time: number | null },
  ): Promise<Introspection> {
    return {
      active: true,
      sub: user.id,
      sid: about.sid,
      email: user.email,
      email_verified: user.emailVerifiedAt !== null,
      orgs: await this.orgsOf(user.id),
      exp: about.exp,
      auth_time: about.auth_time,
    };
  }

  /** `{orgId: role}` of every organization the user is a member of. */
  private async orgsOf(userId: string): Promise<Record<string, string>> {
    return Object.fromEntries((await this.organizations.list(userId)).map((org) => [org.id, org.role]));
  }
}
