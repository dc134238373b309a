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
 * or an ACS post), so that provider A's ids never pass at B's ACS.
 *
 * `save`, called while node-saml builds the AuthnRequest, writes the whole row: the id, node-saml's
 * IssueInstant as created_at (to the millisecond, so `get` answers it unchanged) and the context the
 * login gave; node-saml ignores what save answers, so an id that is taken already (a random 160-bit
 * id, so a bug, not bad luck) throws, and no AuthnRequest goes out that the ACS could not check. `remove`, called by node-saml once a Response answered the id (valid or not), is one
 * DELETE … RETURNING, so of two posts of one Response only one takes the row. node-saml drops what
 * remove answered; this store keeps the row it took, for the ACS to check (`consume`).
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

  async remove(key: string): Promise<string | null> {
    const request = (await this.repository.consumeRequest(this.providerId, key, this.now())) ?? null;
    // node-saml may remove an id twice (on success, then in its error path); the first take counts.
    if (!this.taken.get(key)) this.taken.set(key, request);
    return request ? request.createdAt.toISOString() : null;
  }

  /**
   * The request `requestId` as this exchange removed it: the row node-saml's remove() took, else
   * removed now (node-saml leaves the id in place when the SubjectConfirmationData does not name it).
   * Undefined when the id is unknown, expired, or another exchange took it first.
   */
  async consume(requestId: string): Promise<SamlRequest | undefined> {
    if (!this.taken.has(requestId)) await this.remove(requestId);
    return this.taken.get(requestId) ?? undefined;
  }
}
