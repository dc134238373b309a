import { Injectable } from '@nestjs/common';
import { DomainEventMap, OnDomainEvent } from '../common/domain-events';
import { SessionsService } from './sessions.service';

/** What the sessions module does when other modules change a user's credentials or privileges. */
@Injectable()
export class SessionsReactions {
  constructor(private readonly sessions: SessionsService) {}

  /** Whoever held the old password is signed out; the session that changed it stays. */
  @OnDomainEvent('user.password_changed')
  async signOutOthers({ userId, keepSessionId, reset }: DomainEventMap['user.password_changed']): Promise<void> {
    await this.sessions.revokeAll(userId, keepSessionId ?? undefined, reset ? 'password_reset' : 'password_changed');
  }

  /** A locked or suspended account is signed out everywhere at once. */
  @OnDomainEvent('user.access_revoked')
  async signOutEverywhere({ userId, reason }: DomainEventMap['user.access_revoked']): Promise<void> {
    await this.sessions.revokeAll(userId, undefined, reason);
  }

  /** Sessions carrying the old privileges get a new token on their next request. */
  @OnDomainEvent('org.member_role_changed')
  async rotateOnNextRequest({ userId }: DomainEventMap['org.member_role_changed']): Promise<void> {
    await this.sessions.requireRotation(userId);
  }
}
