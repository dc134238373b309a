import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';

/** An account as the credential rules look at it. */
export interface CredentialHolder {
  id: string;
  email: string;
  ssoProviderId: string | null;
}

/**
 * Rules a module higher in the feature order sets on credentials that modules below it handle
 * (a confirmation with the password, an address change), which cannot import it. Each method
 * throws a DomainError to refuse, and answers to allow.
 */
export interface CredentialRules {
  /** Whether the account may prove itself with its password now (e.g. not under enforced SSO). */
  assertPasswordUsable(holder: CredentialHolder): Promise<void>;
  /** The SSO connection that takes the password's place for this account (enforced on its address), if any. */
  enforcedSsoProvider(holder: CredentialHolder): Promise<string | null>;
  /** Whether the account may move to this (canonical) address. */
  assertAddressChangeAllowed(holder: CredentialHolder, newEmail: string): Promise<void>;
  /** Where an SSO connection's sign-in starts (its protocol's route), if this module knows the connection. */
  ssoLoginPath(providerId: string): Promise<string | null>;
  /** The organization an SSO connection belongs to, if this module knows the connection. */
  ssoConnectionOrganization?(providerId: string): Promise<string | null>;
}

/** Marks a provider implementing CredentialRules. */
export const ProvidesCredentialRules = DiscoveryService.createDecorator<void>();

/**
 * Every CredentialRules of the app, asked in turn: a question with an answer, which a domain event
 * (a notification its emitter does not wait on for a verdict) is not. The module that owns the rule
 * registers it; the modules that handle the credential ask here, and neither imports the other.
 */
@Injectable()
export class CredentialPolicy implements OnModuleInit {
  private rules: CredentialRules[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.rules = this.discovery
      .getProviders({ metadataKey: ProvidesCredentialRules.KEY })
      .filter((wrapper) => wrapper.instance)
      .map((wrapper) => wrapper.instance as CredentialRules);
  }

  async assertPasswordUsable(holder: CredentialHolder): Promise<void> {
    for (const rules of this.rules) await rules.assertPasswordUsable(holder);
  }

  /**
   * sso_required for an address of an enforced domain, whoever asks: for a way in that is not a
   * password (a mailed link or code), which no owner's break-glass lets past. Asked as a holder
   * without an account (an empty id), of whom no organization role can be found.
   */
  async assertAddressNotEnforced(email: string): Promise<void> {
    await this.assertPasswordUsable({ id: '', email, ssoProviderId: null });
  }

  async enforcedSsoProvider(holder: CredentialHolder): Promise<string | null> {
    for (const rules of this.rules) {
      const providerId = await rules.enforcedSsoProvider(holder);
      if (providerId) return providerId;
    }
    return null;
  }

  async ssoLoginPath(providerId: string): Promise<string | null> {
    for (const rules of this.rules) {
      const path = await rules.ssoLoginPath(providerId);
      if (path) return path;
    }
    return null;
  }

  /** The organization an SSO connection (SAML or OIDC) belongs to; null when none holds that connection now. */
  async ssoConnectionOrganization(providerId: string): Promise<string | null> {
    for (const rules of this.rules) {
      const orgId = await rules.ssoConnectionOrganization?.(providerId);
      if (orgId) return orgId;
    }
    return null;
  }

  async assertAddressChangeAllowed(holder: CredentialHolder, newEmail: string): Promise<void> {
    for (const rules of this.rules) await rules.assertAddressChangeAllowed(holder, newEmail);
  }
}
