import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../common/clock';
import { ADMIN_KEY_PREFIX, generateToken, hashToken } from '../common/crypto';
import { DomainError, validationFailed } from '../common/errors';
import { Transactional, TransactionHost } from '../database/transactions';
import { ADMIN_SCOPES, AdminAuth, AdminScope } from '../http';
import { AdminKeySummary, AdminRepository } from './admin.repository';

const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_NAME_LENGTH = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A key just made: the only time the key itself is known. */
export interface CreatedAdminKey {
  id: string;
  name: string;
  prefix: string;
  scopes: AdminScope[];
  key: string;
  createdAt: Date;
}

export type { AdminKeySummary };

/**
 * The name and the comma-separated scopes an operator typed, checked: a name of 1 to 100
 * characters and at least one scope, each a known one. The error's message names what is wrong.
 */
export function parseAdminKeyRequest(
  name: string | undefined,
  scopes: string | undefined,
): { name: string; scopes: AdminScope[] } {
  const trimmed = name?.trim() ?? '';
  if (!trimmed || trimmed.length > MAX_NAME_LENGTH) {
    throw invalid('name', `name the key (--name, 1 to ${MAX_NAME_LENGTH} characters)`);
  }
  const listed = (scopes ?? '')
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (listed.length === 0) throw invalid('scopes', `give the key's scopes (--scopes, from ${ADMIN_SCOPES.join(',')})`);
  const unknown = listed.filter((scope) => !(ADMIN_SCOPES as readonly string[]).includes(scope));
  if (unknown.length > 0) {
    throw invalid(
      'scopes',
      `unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; known: ${ADMIN_SCOPES.join(',')}`,
    );
  }
  return { name: trimmed, scopes: ADMIN_SCOPES.filter((scope) => listed.includes(scope)) };
}

function invalid(field: string, message: string): DomainError {
  const error = validationFailed([{ field, problems: [message] }]);
  return new DomainError('validation_failed', error.extra, { message });
}

/** Operators' keys for the admin API: made, listed and revoked on the command line. */
@Injectable()
export class AdminKeysService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly keys: AdminRepository,
    private readonly clock: Clock,
    private readonly audit: AuditService,
  ) {}

  @Transactional()
  async create(request: { name: string; scopes: AdminScope[] }): Promise<CreatedAdminKey> {
    const key = ADMIN_KEY_PREFIX + generateToken();
    const createdAt = this.clock.now();
    const prefix = key.slice(0, 10);
    const id = await this.keys.insertKey({ ...request, prefix, keyHash: hashToken(key), createdAt });
    await this.audit.record({
      action: 'admin_key.created',
      actor: { id: null, email: null },
      target: `admin_key:${id}`,
      details: { name: request.name, scopes: request.scopes.join(',') },
    });
    return { id, name: request.name, prefix, scopes: request.scopes, key, createdAt };
  }

  list(): Promise<AdminKeySummary[]> {
    return this.keys.listKeys();
  }

  /** The key stops working at once; not_found for an unknown or already revoked one. */
  @Transactional()
  async revoke(id: string): Promise<AdminKeySummary> {
    const revoked = UUID.test(id) ? await this.keys.revokeKey(id, this.clock.now()) : undefined;
    if (!revoked) throw new DomainError('not_found', {}, { message: `no live admin key has the id "${id}"` });
    await this.audit.record({
      action: 'admin_key.revoked',
      actor: { id: null, email: null },
      target: `admin_key:${id}`,
      details: { name: revoked.name },
    });
    return revoked;
  }

  /** A live key's identity and scopes; unauthenticated for anything else. */
  async authenticate(key: string): Promise<AdminAuth> {
    const found = await this.keys.resolveKey(hashToken(key));
    if (!found) throw new DomainError('unauthenticated');
    const now = this.clock.now();
    if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.keys.touchKey(found.id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS + 1));
    }
    return {
      kind: 'admin',
      adminKey: {
        id: found.id,
        name: found.name,
        scopes: ADMIN_SCOPES.filter((scope) => found.scopes.includes(scope)),
      },
    };
  }
}
