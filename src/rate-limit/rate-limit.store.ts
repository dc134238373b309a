import { DataSource } from 'typeorm';
import Redis from 'ioredis';

export interface RateWindow {
  count: number;
  resetAt: Date;
}

/** Counters shared by every instance. Time is passed in, so the injected clock rules windows. */
export abstract class RateLimitStore {
  /** Counts one hit and answers the window's count including it. */
  abstract hit(key: string, windowMs: number, now: Date): Promise<RateWindow>;
  /** The window's count without counting; 0 when there is none or it has ended. */
  abstract peek(key: string, now: Date): Promise<RateWindow>;
  /** Takes one hit back from the window that ends at `resetAt`, if it is still the key's window. */
  abstract undo(key: string, resetAt: Date): Promise<void>;
}

export class PostgresRateLimitStore extends RateLimitStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async hit(key: string, windowMs: number, now: Date): Promise<RateWindow> {
    // One statement, so concurrent hits on one key from any instance never lose a count.
    const [row] = await this.dataSource.query(
      `INSERT INTO rate_limits (key, count, reset_at) VALUES ($1, 1, $3)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.reset_at <= $2 THEN 1 ELSE rate_limits.count + 1 END,
         reset_at = CASE WHEN rate_limits.reset_at <= $2 THEN EXCLUDED.reset_at ELSE rate_limits.reset_at END
       RETURNING count, reset_at`,
      [key, now, new Date(now.getTime() + windowMs)],
    );
    return { count: row.count, resetAt: row.reset_at };
  }

  async peek(key: string, now: Date): Promise<RateWindow> {
    const [row] = await this.dataSource.query(
      'SELECT count, reset_at FROM rate_limits WHERE key = $1 AND reset_at > $2',
      [key, now],
    );
    return row ? { count: row.count, resetAt: row.reset_at } : { count: 0, resetAt: now };
  }

  async undo(key: string, resetAt: Date): Promise<void> {
    await this.dataSource.query(
      'UPDATE rate_limits SET count = count - 1 WHERE key = $1 AND count > 0 AND reset_at = $2',
      [key, resetAt],
    );
  }
}

const HIT_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local reset = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
if reset <= now then
  redis.call('HSET', KEYS[1], 'c', 1, 'r', now + window)
  redis.call('PEXPIRE', KEYS[1], window + 60000)
  return {1, now + window}
end
return {redis.call('HINCRBY', KEYS[1], 'c', 1), reset}`;

const UNDO_SCRIPT = `
local reset = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
local count = tonumber(redis.call('HGET', KEYS[1], 'c') or '0')
if reset == tonumber(ARGV[1]) and count > 0 then redis.call('HINCRBY', KEYS[1], 'c', -1) end
return 0`;

/** For REDIS_URL: the same fixed windows, kept in a hash per key; Redis expiry only collects garbage. */
export class RedisRateLimitStore extends RateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'authd:rate:',
  ) {
    super();
  }

  async hit(key: string, windowMs: number, now: Date): Promise<RateWindow> {
    const [count, reset] = (await this.redis.eval(HIT_SCRIPT, 1, this.prefix + key, now.getTime(), windowMs)) as [
      number,
      number,
    ];
    return { count, resetAt: new Date(reset) };
  }

  async peek(key: string, now: Date): Promise<RateWindow> {
    const [count, reset] = await this.redis.hmget(this.prefix + key, 'c', 'r');
    if (count === null || reset === null || Number(reset) <= now.getTime()) return { count: 0, resetAt: now };
    return { count: Number(count), resetAt: new Date(Number(reset)) };
  }

  async undo(key: string, resetAt: Date): Promise<void> {
    await this.redis.eval(UNDO_SCRIPT, 1, this.prefix + key, resetAt.getTime());
  }
}
