import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';
import { deleteInBatches } from '../tasks/batch';

/** The channel a commit that queued deliveries notifies, and the relay listens on. */
export const WEBHOOKS_CHANNEL = 'webhook_deliveries';

export interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  description: string | null;
  createdAt: Date;
}

/** A delivery claimed for sending, with its event and endpoint; `attempts` counts this one. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  attempts: number;
  createdAt: Date;
  type: string;
  data: Record<string, unknown>;
  eventCreatedAt: Date;
  url: string;
  secret: Buffer;
}

export interface Backlog {
  pending: number;
  oldest: Date | null;
}

const PENDING = 'delivered_at IS NULL AND failed_at IS NULL';

/** The webhooks' tables: endpoints, events and their deliveries. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Queues an event with one delivery for each endpoint subscribed to its type (by name or `*`), in
   * one statement of the caller's transaction, and notifies the relay (PostgreSQL delivers the
   * NOTIFY on commit only). No subscriber: nothing is written. Answers how many deliveries.
   */
  async insertEvent(type: string, data: object, userId: string | null, now: Date): Promise<number> {
    const row = await this.sql.one<{ deliveries: number }>(
      `WITH targets AS (
         SELECT id FROM webhook_endpoints WHERE events && ARRAY[$1, '*']::varchar[]
       ), event AS (
         INSERT INTO webhook_events (type, data, user_id, created_at)
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM targets)
         RETURNING id
       ), queued AS (
         INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at, created_at)
         SELECT event.id, targets.id, $4, $4 FROM event, targets
         RETURNING 1
       )
       SELECT count(*)::int AS deliveries, CASE WHEN count(*) > 0 THEN pg_notify($5, '') END AS notified FROM queued`,
      [type, JSON.stringify(data), userId, now, WEBHOOKS_CHANNEL],
    );
    return row?.deliveries ?? 0;
  }

  /** Queues `webhook.test` for one endpoint alone; answers the event's id, or undefined without such an endpoint. */
  async insertTestEvent(endpointId: string, now: Date): Promise<string | undefined> {
    const row = await this.sql.one<{ id: string }>(
      `WITH target AS (
         SELECT id FROM webhook_endpoints WHERE id = $1
       ), event AS (
         INSERT INTO webhook_events (type, data, user_id, created_at)
         SELECT 'webhook.test', jsonb_build_object('endpointId', id), NULL, $2 FROM target
         RETURNING id
       ), queued AS (
         INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at, created_at)
         SELECT event.id, $1, $2, $2 FROM event
         RETURNING event_id
       )
       SELECT event_id AS id, pg_notify($3, '') FROM queued`,
      [endpointId, now, WEBHOOKS_CHANNEL],
    );
    return row?.id;
  }

  async insertEndpoint(endpoint: EndpointRow & { secret: Buffer }): Promise<void> {
    await this.sql.count(
      `INSERT INTO webhook_endpoints (id, url, events, description, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [endpoint.id, endpoint.url, endpoint.events, endpoint.description, endpoint.secret, endpoint.createdAt],
    );
  }

  listEndpoints(): Promise<EndpointRow[]> {
    return this.sql.rows<EndpointRow>(
      `SELECT id, url, events, description, created_at AS "createdAt" FROM webhook_endpoints ORDER BY created_at, id`,
    );
  }

  /** Deletes the endpoint and its deliveries, sent or not; answers whether it existed. */
  async deleteEndpoint(id: string): Promise<boolean> {
    return (await this.sql.count('DELETE FROM webhook_endpoints WHERE id = $1', [id])) > 0;
  }

  /**
   * Claims up to `limit` deliveries due at `now` until `leaseUntil`, counting an attempt on each.
   * Rows another sender holds are skipped (SKIP LOCKED, then the lease), so any number of senders
   * in any number of instances claim side by side and never the same delivery.
   */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    return this.sql.rows<ClaimedDelivery>(
      `WITH claimed AS (
         UPDATE webhook_deliveries SET locked_until = $2, attempts = attempts + 1
          WHERE id IN (
            SELECT id FROM webhook_deliveries
             WHERE ${PENDING} AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until <= $1)
             ORDER BY next_attempt_at, id
             LIMIT $3
             FOR UPDATE SKIP LOCKED)
          RETURNING id, event_id, endpoint_id, attempts, created_at
       )
       SELECT c.id, c.event_id AS "eventId", c.endpoint_id AS "endpointId", c.attempts, c.created_at AS "createdAt",
              e.type, e.data, e.created_at AS "eventCreatedAt", w.url, w.secret
         FROM claimed c
         JOIN webhook_events e ON e.id = c.event_id
         JOIN webhook_endpoints w ON w.id = c.endpoint_id`,
      [now, leaseUntil, limit],
    );
  }

  async markDelivered(id: string, at: Date, status: number): Promise<void> {
    await this.sql.count(
      `UPDATE webhook_deliveries SET delivered_at = $2, last_status = $3, last_error = NULL, locked_until = NULL WHERE id = $1`,
      [id, at, status],
    );
  }

  /** Releases the claim and makes the delivery due again at `nextAttemptAt`. */
  async scheduleRetry(id: string, nextAttemptAt: Date, status: number | null, error: string): Promise<void> {
    await this.sql.count(
      `UPDATE webhook_deliveries SET next_attempt_at = $2, last_status = $3, last_error = $4, locked_until = NULL WHERE id = $1`,
      [id, nextAttemptAt, status, error],
    );
  }

  /** Gives the delivery up: it is never tried again. */
  async markFailed(id: string, at: Date, status: number | null, error: string): Promise<void> {
    await this.sql.count(
      `UPDATE webhook_deliveries SET failed_at = $2, last_status = $3, last_error = $4, locked_until = NULL WHERE id = $1`,
      [id, at, status, error],
    );
  }

  /** Deletes, in batches, the events queued before `before` that no delivery waits for (their deliveries go with them). */
  deleteSettledEventsBefore(before: Date): Promise<number> {
    return deleteInBatches(
      this.sql,
      'webhook_events',
      `created_at < $1 AND NOT EXISTS (
         SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id AND d.delivered_at IS NULL AND d.failed_at IS NULL)`,
      [before],
    );
  }

  /** How many deliveries wait, and since when the oldest (the due index answers it). */
  async backlog(): Promise<Backlog> {
    const row = await this.sql.one<Backlog>(
      `SELECT count(*)::int AS pending, min(created_at) AS oldest FROM webhook_deliveries WHERE ${PENDING}`,
    );
    return row ?? { pending: 0, oldest: null };
  }

  /**
   * An erased account's events go with it (their deliveries too): what is left to tell is that it
   * was deleted, queued after the erasure.
   */
  async deleteEventsOf(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM webhook_events WHERE user_id = ANY($1::uuid[])', [userIds]);
  }

  /** Endpoint secrets not sealed under the current key (`currentPrefix`), after `after`, by id. */
  secretsNotUnder(currentPrefix: Buffer, after: string | null, limit: number): Promise<SealedSecretRow[]> {
    return this.sql.rows<SealedSecretRow>(
      `SELECT id::text AS key, secret FROM webhook_endpoints
        WHERE substring(secret from 1 for $1) <> $2 AND ($3::uuid IS NULL OR id > $3::uuid)
        ORDER BY id LIMIT $4`,
      [currentPrefix.length, currentPrefix, after, limit],
    );
  }

  /** The secret sealed again, if the endpoint still holds `before`. */
  async replaceSecret(id: string, before: Buffer, secret: Buffer): Promise<boolean> {
    const count = await this.sql.count('UPDATE webhook_endpoints SET secret = $3 WHERE id = $1 AND secret = $2', [
      id,
      before,
      secret,
    ]);
    return count === 1;
  }
}

export interface SealedSecretRow {
  key: string;
  secret: Buffer;
}
