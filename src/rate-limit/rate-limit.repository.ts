import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import { deleteInBatches } from '../tasks/batch';
import { RateLimitCounter } from './rate-limit.entity';

/** A counter's current window. */
export type CounterWindow = Pick<RateLimitCounter, 'count' | 'resetAt'>;

interface CounterRow {
  count: number;
  reset_at: Date;
}

/**
 * The PostgreSQL store's counters. Callers count outside their transactions: a count must stand
 * even when the work it guards fails and rolls back.
 */
@Injectable()
export class RateLimitRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Counts one hit on `key` and answers its window: a window that ended by `now` starts over,
   * ending at `resetAt`.
   */
  async hit(key: string, now: Date, resetAt: Date): Promise<CounterWindow> {
    // One statement, so concurrent hits on one key from any instance never lose a count.
    const [row] = await this.sql.rows<CounterRow>(
      `INSERT INTO rate_limits (key, count, reset_at) VALUES ($1, 1, $3)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.reset_at <= $2 THEN 1 ELSE rate_limits.count + 1 END,
         reset_at = CASE WHEN rate_limits.reset_at <= $2 THEN EXCLUDED.reset_at ELSE rate_limits.reset_at END
       RETURNING count, reset_at`,
      [key, now, resetAt],
    );
    return toWindow(row);
  }

  /** The key's window still open at `now`, if there is one. */
  async openWindow(key: string, now: Date): Promise<CounterWindow | undefined> {
    const row = await this.sql.one<CounterRow>(
      'SELECT count, reset_at FROM rate_limits WHERE key = $1 AND reset_at > $2',
      [key, now],
    );
    return row && toWindow(row);
  }

  /** Takes one hit back from the key's window, if that is still the one ending at `resetAt`. */
  async takeBack(key: string, resetAt: Date): Promise<void> {
    await this.sql.count('UPDATE rate_limits SET count = count - 1 WHERE key = $1 AND count > 0 AND reset_at = $2', [
      key,
      resetAt,
    ]);
  }

  async deleteKeys(keys: string[]): Promise<void> {
    await this.sql.count('DELETE FROM rate_limits WHERE key = ANY($1::text[])', [keys]);
  }

  async deleteKeysStartingWith(prefixes: string[]): Promise<void> {
    if (prefixes.length === 0) return;
    await this.sql.count(
      'DELETE FROM rate_limits WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) AS p WHERE starts_with(key, p))',
      [prefixes],
    );
  }

  /** Deletes the windows ended by `now`, in batches; answers how many went. */
  deleteEnded(now: Date): Promise<number> {
    return deleteInBatches(this.sql, 'rate_limits', 'reset_at <= $1', [now]);
  }
}

function toWindow(row: CounterRow): CounterWindow {
  return { count: row.count, resetAt: row.reset_at };
}
