import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { ClientInfo } from './client-info';

/** What one module tells the others, and what it carries. */
export interface DomainEventMap {
  /**
   * The user's address changed: links mailed to the old one must stop working, and SSO identities
   * of another domain stop signing the account in.
   */
  'user.email_changed': { userId: string };
  /**
   * The user's password changed (`reset: false`, signed in, `keepSessionId` is the session that did it)
   * or was reset from a mailed link (`reset: true`): whoever held the old one must be signed out, and
   * with `revokeApiKeys` (always on a reset) their API keys go too. `email` and `client` are for the
   * audit rows of the reactions.
   */
  'user.password_changed': {
    userId: string;
    email: string;
    keepSessionId: string | null;
    reset: boolean;
    revokeApiKeys: boolean;
    client: ClientInfo;
  };
  /**
   * An email change still waiting for its link was undone: the account is back at `email`, the
   * verified address it had, because someone registered `abandonedEmail` or the change was not
   * verified in time. Links for the abandoned address must stop working; the user is told.
   */
  'user.email_change_reverted': {
    userId: string;
    email: string;
    abandonedEmail: string;
    reason: 'address_registered' | 'expired';
  };
  /**
   * An operator locked the account or its organization's directory suspended it: every session and
   * API key ends at once.
   */
  'user.access_revoked': { userId: string; email: string; reason: 'locked' | 'suspended' };
  /** An organization admin changed the user's role: their sessions carry the old privileges. */
  'org.member_role_changed': { userId: string; orgId: string };
  /**
   * The user is an owner of the organization no more (demoted, by anyone or themselves, or removed):
   * what only owners may keep (a break-glass password under enforced SSO) goes.
   */
  'org.owner_stepped_down': { userId: string; orgId: string; client?: ClientInfo };
  /**
   * These organizations are about to be deleted with everything in them (no member left, or an owner deleted it):
   * what other modules keep per organization goes first, in the same transaction.
   */
  'org.deleting': { orgIds: string[] };
  /** An organization removed its SAML provider: the accounts it signed in stay, no longer tied to it. */
  'sso.provider_removed': { providerId: string };
}

export type DomainEvent = keyof DomainEventMap;

/**
 * Marks a provider's method as a reaction to another module's event:
 * `@OnDomainEvent('user.email_changed') async forget({ userId }) { … }`. The emitter never names
 * the modules that react, so neither imports the other.
 */
export const OnDomainEvent = DiscoveryService.createDecorator<DomainEvent>();

type Handler = (payload: unknown) => Promise<void>;

/**
 * Runs the reactions to an event one after another, awaited, in the emitter's transaction: they
 * commit or roll back with the change that caused them.
 */
@Injectable()
export class DomainEvents implements OnModuleInit {
  private readonly handlers = new Map<DomainEvent, Handler[]>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const event = this.discovery.getMetadataByDecorator(OnDomainEvent, wrapper, method);
        if (!event) continue;
        const handler = (instance[method] as Handler).bind(instance);
        this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler]);
      }
    }
  }

  async emit<K extends DomainEvent>(event: K, payload: DomainEventMap[K]): Promise<void> {
    for (const handler of this.handlers.get(event) ?? []) await handler(payload);
  }
}
