import { Injectable } from '@nestjs/common';
import { Sql } from '../database/sql';

/** The webhooks' tables. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly sql: Sql) {}

  async insertEvent(type: string, data: object, userId: string | null, now: Date): Promise<string> {
    const row = await this.sql.one<{ id: string }>(
      'INSERT INTO webhook_events (type, data, user_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id',
      [type, JSON.stringify(data), userId, now],
    );
    return row!.id;
  }

  /** An erased account's events go with it: what is left to tell is that it was deleted. */
  async deleteEventsOf(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM webhook_events WHERE user_id = ANY($1::uuid[])', [userIds]);
  }
}
