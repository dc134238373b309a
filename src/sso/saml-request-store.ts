import type { SamlRequestStore } from './saml';
import type { SamlRequest } from './sso.entity';
import type { SsoRepository } from './sso.repository';

/** What a login keeps beside its AuthnRequest id, for the ACS to check when the Response comes back. */
export type SamlRequestContext = Pick<SamlRequest, 'bindingHash' | 'returnTo' | 'forceAuthn' | 'stepUpSessionId'>;

/** For a store that starts a login: what to save with the request id, and who to tell once it is saved. */
export interface SamlLoginRequest {
  context: SamlRequestContext;
  onSaved?: (requestId: string) => void;
}

/**
 * node-saml's request-id cache on saml_requests, for one provider and one exchange (a login redirect
 * or an ACS post), so that provider A's ids never pass at B's ACS; and, for an ACS post, the record
 * of the assertion ids already used at the provider.
 *
 * `save`, called while node-saml builds the AuthnRequest, writes the whole row: the id, node-saml's
 * IssueInstant as created_at (to the millisecond, so `get` answers it unchanged) and the context the
 * login gave; node-saml ignores what save answers, so an id that is taken already (a random 160-bit
 * id, so a bug, not bad luck) throws, and no AuthnRequest goes out that the ACS could not check.
 *
 * node-saml calls `remove` whenever a Response named the id, valid or not. Spending the request there
 * would let a copy that fails (a double submit damaged on its way, a tampered replay) spoil the copy
 * that passes; so `remove` only reads, and the request is spent by `consume`, one DELETE … RETURNING
 * once the Response passed node-saml and our checks: of two posts of one Response, one takes the row.
 */
export class PostgresSamlRequestStore implements SamlRequestStore {
  private readonly taken = new Map<string, SamlRequest | null>();

  constructor(
    private readonly repository: SsoRepository,
    private readonly providerId: string,
    private readonly now: () => Date,
    private readonly login?: SamlLoginRequest,
  ) {}

  async save(key: string, value: string, expiresAt: Date): Promise<boolean> {
    if (!this.login) throw new Error('this request store was made to check a response, not to start a login');
    const createdAt = new Date(value);
    if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== value) {
      throw new Error(`expected an ISO instant with milliseconds as the request's value, got "${value}"`);
    }
    const saved = await this.repository.insertRequest({
      providerId: this.providerId,
      requestId: key,
      ...this.login.context,
      createdAt,
      expiresAt,
    });
    if (!saved) throw new Error(`AuthnRequest id ${key} is stored already`);
    this.login.onSaved?.(key);
    return true;
  }

  async get(key: string): Promise<string | null> {
    const request = await this.repository.findRequest(this.providerId, key, this.now());
    return request ? request.createdAt.toISOString() : null;
  }

  /** Reads only: see the class comment. */
  async remove(key: string): Promise<string | null> {
    return this.get(key);
  }

  /**
   * Takes the request `requestId` for this exchange: undefined when the id is unknown, expired, or
   * another exchange took it first. Asked twice, answers what the first take found.
   */
  async consume(requestId: string): Promise<SamlRequest | undefined> {
    if (!this.taken.has(requestId)) {
      this.taken.set(requestId, (await this.repository.consumeRequest(this.providerId, requestId, this.now())) ?? null);
    }
    return this.taken.get(requestId) ?? undefined;
  }

  /** True the first time the provider's assertion id is seen (kept until `expiresAt`), false for a replay. */
  recordAssertion(assertionId: string, expiresAt: Date): Promise<boolean> {
    return this.repository.recordAssertion(this.providerId, assertionId, expiresAt);
  }
}
