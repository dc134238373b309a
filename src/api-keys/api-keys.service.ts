import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Transactional, TransactionHost } from '../database/transactions';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { API_KEY_PREFIX, generateToken, hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { Sql } from '../database/sql';
import { USER_VIEW_COLUMNS, userViewFromRow } from '../users/user.dto';
import type { UserViewRow } from '../users/user.dto';
import { ApiKey } from './api-key.entity';
import { ApiKeyDto, CreatedApiKeyDto } from './api-keys.dto';
import type { ApiKeyAuth, UserView } from '../http';

const LAST_USED_RESOLUTION_MS = 60_000;

interface ApiKeyRow extends UserViewRow {
  key_id: string;
  last_used_at: Date | null;
}

/** Like the session lookup: the key's hash finds the key and its user in one query. */
const RESOLVE_SQL = `
  SELECT k.id AS key_id, k.last_used_at, ${USER_VIEW_COLUMNS}
    FROM api_keys k JOIN users u ON u.id = k.user_id
   WHERE k.key_hash = $1`;

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly txHost: TransactionHost,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly sql: Sql,
  ) {}

  private get keys() {
    return this.txHost.tx.getRepository(ApiKey);
  }

  @Transactional()
  async create(user: UserView, name: string, client: ClientInfo): Promise<CreatedApiKeyDto> {
    const key = API_KEY_PREFIX + generateToken();
    const createdAt = this.clock.now();
    const prefix = key.slice(0, 9);
    const { identifiers } = await this.keys.insert({
      userId: user.id,
      name,
      prefix,
      keyHash: hashToken(key),
      createdAt,
    });
    const id = identifiers[0].id as string;
    await this.audit.record({ action: 'api_key.created', actor: user, client, target: `api_key:${id}` });
    return { id, name, prefix, key, createdAt: createdAt.toISOString() };
  }

  async list(userId: string): Promise<ApiKeyDto[]> {
    const keys = await this.keys.find({ where: { userId }, order: { createdAt: 'DESC', id: 'ASC' } });
    return keys.map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      createdAt: k.createdAt.toISOString(),
      lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    }));
  }

  /** Ownership is part of the query: another user's key is as missing as an unknown one. */
  @Transactional()
  async revoke(user: UserView, id: string, client: ClientInfo): Promise<void> {
    const { affected } = await this.keys.delete({ id, userId: user.id });
    if (!affected) throw new DomainError('not_found');
    await this.audit.record({ action: 'api_key.revoked', actor: user, client, target: `api_key:${id}` });
  }

  /** Deletes every key of the user (after a password reset); answers how many. */
  async revokeAll(userId: string): Promise<number> {
    return (await this.keys.delete({ userId })).affected ?? 0;
  }

  async authenticate(key: string): Promise<ApiKeyAuth> {
    const [row] = await this.sql.prepared<ApiKeyRow>('resolve_api_key', RESOLVE_SQL, [hashToken(key)]);
    if (!row) throw new DomainError('unauthenticated');
    const now = this.clock.now();
    if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
      await this.dataSource.query(
        'UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)',
        [row.key_id, now, new Date(now.getTime() - LAST_USED_RESOLUTION_MS + 1)],
      );
    }
    return {
      kind: 'api-key',
      apiKey: { id: row.key_id },
      user: userViewFromRow(row),
    };
  }
}
