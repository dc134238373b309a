import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import { AuditEntry } from './audit-entry.entity';

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** What the admin API filters the log by; each is optional, all given must hold. */
export interface AuditFilter {
  userId?: string;
  orgId?: string;
  action?: string;
  since?: Date;
  until?: Date;
}

/** The audit log's table: rows are appended here and nowhere else. */
@Injectable()
export class AuditRepository {
  constructor(private readonly sql: Sql) {}

  async append(entries: NewAuditEntry[]): Promise<void> {
    await this.sql.count(
      `INSERT INTO audit_log (action, actor_id, actor_email, ip, user_agent, target, details, created_at)
       SELECT * FROM unnest($1::varchar[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[], $6::varchar[],
                            $7::jsonb[], $8::timestamptz[])`,
      [
        entries.map((e) => e.action),
        entries.map((e) => e.actorId),
        entries.map((e) => e.actorEmail),
        entries.map((e) => e.ip),
        entries.map((e) => e.userAgent),
        entries.map((e) => e.target),
        entries.map((e) => (e.details === null ? null : JSON.stringify(e.details))),
        entries.map((e) => e.createdAt),
      ],
    );
  }

  /**
   * The rows where the user acted or was acted upon: as target, or named in the details by id or
   * by `address.email` (when given) from `address.since` on, oldest first.
   */
  about(userId: string, address: { email: string; since: Date } | null): Promise<AuditEntry[]> {
    return this.sql.rows<AuditEntry>(
      `SELECT id, action, actor_id AS "actorId", actor_email AS "actorEmail", ip, user_agent AS "userAgent",
              target, details, created_at AS "createdAt"
         FROM audit_log
        WHERE actor_id = $1 OR target = 'user:' || $1
           OR details @> jsonb_build_object('userId', $1::text)
           OR ($2::text IS NOT NULL AND details @> jsonb_build_object('email', $2::text) AND created_at >= $3)
        ORDER BY created_at, id`,
      [userId, address?.email ?? null, address?.since ?? null],
    );
  }

  /**
   * Rows newest first (by id, which grows with every row), keyset-paged: strictly before `beforeId`.
   * A user is matched as `about` matches them (actor, target, or `userId` in the details); an
   * organization as target or `orgId` in the details. `since` is inclusive, `until` exclusive.
   */
  search(filter: AuditFilter & { beforeId?: string; limit: number }): Promise<AuditEntry[]> {
    const values: unknown[] = [];
    const add = (value: unknown) => `$${values.push(value)}`;
    const where: string[] = [];
    if (filter.userId !== undefined) {
      const id = add(filter.userId);
      where.push(
        `(actor_id = ${id}::uuid OR target = 'user:' || ${id} OR details @> jsonb_build_object('userId', ${id}::text))`,
      );
    }
    if (filter.orgId !== undefined) {
      const id = add(filter.orgId);
      where.push(`(target = 'org:' || ${id} OR details @> jsonb_build_object('orgId', ${id}::text))`);
    }
    if (filter.action !== undefined) where.push(`action = ${add(filter.action)}`);
    if (filter.since !== undefined) where.push(`created_at >= ${add(filter.since)}`);
    if (filter.until !== undefined) where.push(`created_at < ${add(filter.until)}`);
    if (filter.beforeId !== undefined) where.push(`id < ${add(filter.beforeId)}::bigint`);
    return this.sql.rows<AuditEntry>(
      `SELECT id::text AS id, action, actor_id AS "actorId", actor_email AS "actorEmail", ip, user_agent AS "userAgent",
              target, details, created_at AS "createdAt"
         FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT ${add(filter.limit)}`,
      values,
    );
  }

  /**
   * Rewrites every row that names one of these users: as actor (id, address, IP and user agent),
   * as target (`user:<id>`), or in details (a `userId` or `email` value). The id becomes the
   * account's pseudonym; the rest goes. Each lookup has its index, so no row is read twice and the
   * table is never scanned. A row naming two of them is rewritten once per pass, hence the loop.
   */
  async anonymise(
    accounts: Array<{ id: string; email: string; pseudonym: string; addressHashes: Buffer[] }>,
  ): Promise<void> {
    const values = [accounts.map((a) => a.id), accounts.map((a) => a.email), accounts.map((a) => a.pseudonym)];
    while ((await this.sql.count(ANONYMISE_SQL, values)) > 0);
    const hashes = accounts.flatMap((a) => a.addressHashes);
    if (hashes.length > 0) await this.sql.count(FORGET_ADDRESSES_SQL, [hashes]);
  }
}

/**
 * Rows others wrote about an address the account had before (an invitation to it, a failed sign-in
 * with it) keep no such address: found by its hash, through the indexes on address_sha256().
 */
const FORGET_ADDRESSES_SQL = `
  UPDATE audit_log SET
    actor_email = CASE WHEN address_sha256(actor_email) = ANY($1::bytea[]) THEN NULL ELSE actor_email END,
    details = CASE WHEN details ? 'email' AND address_sha256(details->>'email') = ANY($1::bytea[])
                   THEN jsonb_set(details, '{email}', 'null'::jsonb) ELSE details END
  WHERE (actor_email IS NOT NULL AND address_sha256(actor_email) = ANY($1::bytea[]))
     OR (details ? 'email' AND address_sha256(details->>'email') = ANY($1::bytea[]))`;

const ANONYMISE_SQL = `
  WITH gone AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[]) AS g(id, email, pseudonym))
  UPDATE audit_log a SET
    actor_id = CASE WHEN a.actor_id = g.id THEN g.pseudonym ELSE a.actor_id END,
    actor_email = CASE WHEN a.actor_id = g.id OR a.actor_email = g.email THEN NULL ELSE a.actor_email END,
    ip = CASE WHEN a.actor_id = g.id THEN NULL ELSE a.ip END,
    user_agent = CASE WHEN a.actor_id = g.id THEN NULL ELSE a.user_agent END,
    target = CASE WHEN a.target = 'user:' || g.id THEN 'user:' || g.pseudonym ELSE a.target END,
    details = CASE
      WHEN a.details @> jsonb_build_object('userId', g.id) OR a.details @> jsonb_build_object('email', g.email)
        OR (a.actor_id = g.id AND a.details ? 'email')
      THEN (SELECT jsonb_object_agg(k, CASE
                     WHEN v = to_jsonb(g.id::text) THEN to_jsonb(g.pseudonym::text)
                     -- Their own rows may name an address they had before: it goes too.
                     WHEN v = to_jsonb(g.email) OR (k = 'email' AND a.actor_id = g.id) THEN 'null'::jsonb
                     ELSE v END)
              FROM jsonb_each(a.details) AS e(k, v))
      ELSE a.details END
  FROM gone g
  WHERE a.actor_id = g.id OR a.actor_email = g.email OR a.target = 'user:' || g.id
     OR a.details @> jsonb_build_object('userId', g.id) OR a.details @> jsonb_build_object('email', g.email)`;
