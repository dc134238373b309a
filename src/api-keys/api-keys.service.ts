import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { API_KEY_PREFIX, generateToken, hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import type { ApiKeyAuth, SessionContext, UserView } from '../http';
import { SessionsService } from '../sessions/sessions.service';
import type { ApiKey } from './api-key.entity';
import { ApiKeysRepository } from './api-keys.repository';

const LAST_USED_RESOLUTION_MS = 60_000;

/** A key as its owner sees it in the listing. */
export type ApiKeySummary = Pick<ApiKey, 'id' | 'name' | 'prefix' | 'createdAt' | 'lastUsedAt'>;

/** A key just made: the only time the key itself is known. */
export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  key: string;
  createdAt: Date;
}

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly keys: ApiKeysRepository,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly sessions: SessionsService,
  ) {}

  /**
   * The key remembers whether the session making it had proved a second factor (with its current
   * token): an organization's MFA rule lets in only such a key, since a key outlives the session.
   */
  @Transactional()
  async create(
    user: UserView,
    session: Pick<SessionContext, 'id' | 'tokenHash'>,
    name: string,
    client: ClientInfo,
  ): Promise<CreatedApiKey> {
    const key = API_KEY_PREFIX + generateToken();
    const createdAt = this.clock.now();
    const prefix = key.slice(0, 9);
    const proof = await this.sessions.authenticationOf(session.id, session.tokenHash);
    const secondFactor = proof?.currentToken === true && proof.secondFactorAt !== null;
    const id = await this.keys.insert({
      userId: user.id,
      name,
      prefix,
      keyHash: hashToken(key),
      createdAt,
      secondFactor,
    });
    await this.audit.record({ action: 'api_key.created', actor: user, client, target: `api_key:${id}` });
    return { id, name, prefix, key, createdAt };
  }

  /** The user's keys, newest first. */
  list(userId: string): Promise<ApiKeySummary[]> {
    return this.keys.listByUser(userId);
  }

  /** Ownership is part of the query: another user's key is as missing as an unknown one. */
  @Transactional()
  async revoke(user: UserView, id: string, client: ClientInfo): Promise<void> {
    if (!(await this.keys.deleteOwned(user.id, id))) throw new DomainError('not_found');
    await this.audit.record({ action: 'api_key.revoked', actor: user, client, target: `api_key:${id}` });
  }

  /**
   * Deletes every key of the user (with a password reset or change, or SSO enforced on their
   * address), audited when there were any; answers how many.
   */
  async revokeAll(
    user: Pick<UserView, 'id' | 'email'>,
    reason: 'password_reset' | 'password_changed' | 'sso_enforced' | 'locked' | 'suspended',
    client?: ClientInfo,
  ): Promise<number> {
    const revoked = await this.keys.deleteAllOf(user.id);
    if (revoked > 0) {
      await this.audit.record({
        action: 'api_key.revoked_all',
        actor: user,
        client,
        target: `user:${user.id}`,
        details: { revoked, reason },
      });
    }
    return revoked;
  }

  /**
   * The key's owner if the key works now, without recording a use (introspection asks about a key;
   * it does not use it). An account scheduled for deletion has keys that reach nothing: none.
   */
  async inspect(key: string): Promise<{ keyId: string; user: UserView } | undefined> {
    const resolved = await this.keys.resolve(hashToken(key));
    if (!resolved || resolved.user.deletionScheduledFor) return undefined;
    return { keyId: resolved.key.id, user: resolved.user };
  }

  async authenticate(key: string): Promise<ApiKeyAuth> {
    const resolved = await this.keys.resolve(hashToken(key));
    if (!resolved) throw new DomainError('unauthenticated');
    const { id, lastUsedAt, secondFactor } = resolved.key;
    const now = this.clock.now();
    if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.keys.touchLastUsed(id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS + 1));
    }
    return { kind: 'api-key', apiKey: { id, secondFactor }, user: resolved.user };
  }
}
