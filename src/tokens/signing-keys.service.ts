import { createPrivateKey, generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import { loadJose } from './jose';
import { StoredSigningKey, TokensRepository } from './tokens.repository';

/**
 * ES256 (ECDSA on P-256 with SHA-256): every JWT library and API gateway verifies it, where EdDSA
 * is still missing from some (older Java and .NET stacks, several gateways' JWT authorizers).
 */
export const SIGNING_ALGORITHM = 'ES256';

/** A current key signs for this long; then the daily task rotates it. */
export const SIGNING_KEY_LIFETIME_MS = 30 * 24 * 3600_000;

/**
 * How long an instance serves the JWKS it read (and keeps the opened signing key, while it is still
 * the current one): a new next key reaches every instance's JWKS within this time.
 */
export const KEY_CACHE_MS = 30_000;

/**
 * A retired key stays published for ACCESS_TOKEN_TTL plus this: a token signed by a request that read
 * the key just before the rotation committed, and clock skew between instances and verifiers.
 */
export const RETIRED_KEY_MARGIN_MS = 2 * 60_000;

/** A public JWK as the JWKS publishes it. */
export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y: string;
  kid: string;
  alg: string;
  use: 'sig';
}

export interface Signer {
  kid: string;
  key: KeyObject;
}

interface KeySet {
  loadedAt: number;
  signer: Signer;
  jwks: { keys: PublicJwk[] };
}

export interface RotationResult {
  rotated: boolean;
  /** Keys made because none existed (first use). */
  created: number;
  /** Retired keys deleted because no token they signed can be live. */
  deleted: number;
  kid: string;
}

const generateEcKeyPair = promisify(generateKeyPair);

/**
 * The keys that sign the access tokens: made on first need, kept sealed under ENCRYPTION_KEY,
 * rotated by the rotate-signing-keys task. Each instance keeps what it read for KEY_CACHE_MS, so
 * serving the JWKS costs no query most of the time and signing one small read.
 */
@Injectable()
export class SigningKeysService {
  private cached: KeySet | undefined;
  private loading: Promise<KeySet> | undefined;

  constructor(
    private readonly txHost: TransactionHost,
    private readonly keys: TokensRepository,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
  ) {}

  /**
   * The key that signs now. Which key that is costs one indexed read per token, so a rotation made
   * by any instance or by the command line holds for every token signed after it commits; the
   * opened key itself is kept while it stays the current one.
   */
  async signer(): Promise<Signer> {
    const kid = await this.keys.currentKid();
    for (let attempt = 0; ; attempt++) {
      const { signer } = await this.keySet();
      if (kid === undefined || signer.kid === kid || attempt > 0) return signer;
      // Rotated since this instance read the key set (or a read under way began before it).
      this.cached = undefined;
    }
  }

  /** The public halves of the next key, the current one and the retired ones whose tokens may be live. */
  async jwks(): Promise<{ keys: PublicJwk[] }> {
    return (await this.keySet()).jwks;
  }

  /** How long after its retirement a key stays published. */
  get retentionMs(): number {
    return this.config.accessTokenTtlMs + RETIRED_KEY_MARGIN_MS;
  }

  /**
   * Retires the current key and makes the next one current (it has been published since the
   * previous rotation), then publishes a new next key; with `ifOlderThanMs`, only when the current
   * key has signed that long. Deletes the keys retired longer than retentionMs ago.
   */
  async rotate({ ifOlderThanMs }: { ifOlderThanMs?: number } = {}): Promise<RotationResult> {
    const result = await this.txHost.withTransaction(async () => {
      await this.keys.lockKeys();
      const now = this.clock.now();
      const deleted = await this.keys.deleteRetired(new Date(now.getTime() - this.retentionMs));
      const created = await this.completeKeySet(now);
      const current = this.currentOf(await this.keys.published(now));
      const due =
        created === 0 &&
        (ifOlderThanMs === undefined || now.getTime() - current.activatedAt!.getTime() >= ifOlderThanMs);
      if (!due) return { rotated: false, created, deleted, kid: current.kid };
      await this.keys.advance('current', 'retired', now);
      await this.keys.advance('next', 'current', now);
      await this.insertKey('next', now);
      const kid = this.currentOf(await this.keys.published(now)).kid;
      await this.audit.record({
        action: 'signing_key.rotated',
        actor: { id: null, email: null },
        target: `signing_key:${kid}`,
        details: { retiredKid: current.kid },
      });
      return { rotated: true, created, deleted, kid };
    });
    // Every instance signs with the new key from now on (signer() reads which key is current); this
    // instance's JWKS shows the new next key at once, the others' within KEY_CACHE_MS.
    if (result.rotated || result.created > 0) this.cached = undefined;
    return result;
  }

  private async keySet(): Promise<KeySet> {
    const cached = this.cached;
    if (cached && this.clock.now().getTime() - cached.loadedAt < KEY_CACHE_MS) return cached;
    // One read at a time per instance, however many requests find the cache stale.
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return (this.cached = await this.loading);
  }

  private async load(): Promise<KeySet> {
    const now = this.clock.now();
    let stored = await this.keys.published(new Date(now.getTime() - this.retentionMs));
    if (!stored.some((key) => key.state === 'current') || !stored.some((key) => key.state === 'next')) {
      // First use: of all instances starting at once, the one holding the lock makes the keys.
      await this.txHost.withTransaction(async () => {
        await this.keys.lockKeys();
        await this.completeKeySet(this.clock.now());
      });
      stored = await this.keys.published(new Date(now.getTime() - this.retentionMs));
    }
    const current = this.currentOf(stored);
    const privateJwk = JSON.parse(this.cipher.open(current.privateKey, sealingContext(current.kid)).toString('utf8'));
    return {
      loadedAt: now.getTime(),
      signer: { kid: current.kid, key: createPrivateKey({ key: privateJwk, format: 'jwk' }) },
      jwks: { keys: stored.map((key) => publicJwkOf(key)) },
    };
  }

  /** Makes the current and next keys that are missing (under the lock); answers how many. */
  private async completeKeySet(now: Date): Promise<number> {
    const stored = await this.keys.published(now);
    let created = 0;
    for (const state of ['current', 'next'] as const) {
      if (stored.some((key) => key.state === state)) continue;
      await this.insertKey(state, now);
      created += 1;
    }
    return created;
  }

  private async insertKey(state: 'current' | 'next', now: Date): Promise<void> {
    const { calculateJwkThumbprint } = await loadJose();
    const { privateKey, publicKey } = await generateEcKeyPair('ec', { namedCurve: 'P-256' });
    const publicJwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string; y: string };
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const privateJwk = JSON.stringify(privateKey.export({ format: 'jwk' }));
    await this.keys.insert({
      kid,
      algorithm: SIGNING_ALGORITHM,
      state,
      publicJwk: { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y },
      privateKey: this.cipher.seal(Buffer.from(privateJwk, 'utf8'), sealingContext(kid)),
      createdAt: now,
    });
  }

  private currentOf(stored: StoredSigningKey[]): StoredSigningKey {
    const current = stored.find((key) => key.state === 'current');
    if (!current) throw new Error('no current signing key');
    return current;
  }
}

/** Associated data of a sealed private key: it opens only as the key of its own kid. */
export function sealingContext(kid: string): string {
  return `signing-key:${kid}`;
}

function publicJwkOf(key: StoredSigningKey): PublicJwk {
  const { kty, crv, x, y } = key.publicJwk;
  return { kty, crv, x, y, kid: key.kid, alg: key.algorithm, use: 'sig' };
}
