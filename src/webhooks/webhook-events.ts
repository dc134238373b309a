/**
 * What the product around authd hears about (Standard Webhooks `type`), and what each carries: ids,
 * and only what the type needs. Nothing secret ever goes in `data`.
 */
/** Why sessions ended, as `session.revoked` says. */
export type SessionRevocationReason =
  /** The user signed out (POST /auth/logout). */
  | 'logout'
  /** The user ended the session. */
  | 'revoked'
  /** An operator signed the account out everywhere (admin API). */
  | 'admin'
  /** "Sign out everywhere else". */
  | 'signed_out_elsewhere'
  | 'password_changed'
  | 'password_reset'
  | 'locked'
  | 'suspended'
  | 'deletion_scheduled'
  /** The organization now signs the user in through its IdP alone. */
  | 'sso_enforced'
  /** A new sign-in pushed the oldest out beyond the per-user limit. */
  | 'session_limit';

export interface WebhookEventMap {
  'user.created': { userId: string; email: string; method: string };
  'user.email_verified': { userId: string; email: string };
  'user.updated': { userId: string; fields: string[] };
  'user.email_changed': { userId: string; email: string };
  'user.deletion_scheduled': { userId: string; deletionScheduledFor: string };
  'user.deletion_cancelled': { userId: string };
  'user.deleted': { userId: string };
  'user.locked': { userId: string };
  'user.unlocked': { userId: string };
  'user.suspended': { userId: string; orgId: string };
  'user.reactivated': { userId: string; orgId: string };
  'session.created': { userId: string; sessionId: string; method: string };
  /** One session (`sessionId`) or several at once (`count`). */
  'session.revoked': { userId: string; sessionId?: string; count?: number; reason: SessionRevocationReason };
  'org.member_added': { orgId: string; userId: string; role: string };
  'org.member_removed': { orgId: string; userId: string };
  'org.member_role_changed': { orgId: string; userId: string; role: string };
  /** Sent by POST /admin/webhooks/:id/test to that endpoint alone. */
  'webhook.test': { endpointId: string };
}

export type WebhookEventType = keyof WebhookEventMap;

/** Every type an endpoint may subscribe to (`["*"]` is all of them). */
export const WEBHOOK_EVENT_TYPES = [
  'user.created',
  'user.email_verified',
  'user.updated',
  'user.email_changed',
  'user.deletion_scheduled',
  'user.deletion_cancelled',
  'user.deleted',
  'user.locked',
  'user.unlocked',
  'user.suspended',
  'user.reactivated',
  'session.created',
  'session.revoked',
  'org.member_added',
  'org.member_removed',
  'org.member_role_changed',
] as const satisfies readonly Exclude<WebhookEventType, 'webhook.test'>[];
