import type { CacheItem, CacheProvider } from '@node-saml/node-saml';

/** How long an AuthnRequest id stays usable: the time a person has to sign in at the IdP. */
export const SAML_REQUEST_TTL_MS = 10 * 60_000;

/**
 * Where AuthnRequest ids live between the login redirect and the ACS post. One instance per provider
 * (keys are request ids, which are only unique per SP, and provider A's id must not pass at B's ACS).
 * The PostgreSQL implementation is the saml_requests table.
 */
export interface SamlRequestStore {
  /** Stores value under key until expiresAt; false when the key already exists (the value is kept). */
  save(key: string, value: string, expiresAt: Date): Promise<boolean>;
  /** The saved value, or null when unknown, removed or expired. Must be the value given to save, unchanged. */
  get(key: string): Promise<string | null>;
  /**
   * Removes the key and answers the value it held, or null when it was unknown, already removed or
   * expired. Implement it as one atomic delete: of concurrent callers with one key, one gets the value.
   * A store that spends its keys elsewhere, only once a response proved good, may leave the key and
   * answer its value.
   */
  remove(key: string): Promise<string | null>;
}

/**
 * node-saml's CacheProvider over a SamlRequestStore. node-saml saves `(AuthnRequest ID, IssueInstant)`
 * when it builds a login redirect, reads it back for the Response's InResponseTo (and compares its age
 * with requestIdExpirationPeriodMs), and removes it once a response answered it, valid or not.
 */
export class SamlCacheProvider implements CacheProvider {
  constructor(
    private readonly store: SamlRequestStore,
    private readonly now: () => Date,
    private readonly ttlMs: number = SAML_REQUEST_TTL_MS,
  ) {}

  async saveAsync(key: string, value: string): Promise<CacheItem | null> {
    const now = this.now();
    const saved = await this.store.save(key, value, new Date(now.getTime() + this.ttlMs));
    return saved ? { value, createdAt: now.getTime() } : null;
  }

  getAsync(key: string): Promise<string | null> {
    return this.store.get(key);
  }

  async removeAsync(key: string | null): Promise<string | null> {
    return key === null ? null : this.store.remove(key);
  }
}

/** A SamlRequestStore in a Map, for unit tests and single-process tools; expiry follows the given clock. */
export class InMemorySamlRequestStore implements SamlRequestStore {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async save(key: string, value: string, expiresAt: Date): Promise<boolean> {
    if (this.live(key) !== null) return false;
    this.entries.set(key, { value, expiresAt: expiresAt.getTime() });
    return true;
  }

  async get(key: string): Promise<string | null> {
    return this.live(key);
  }

  async remove(key: string): Promise<string | null> {
    const value = this.live(key);
    this.entries.delete(key);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  private live(key: string): string | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now().getTime()) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }
}
