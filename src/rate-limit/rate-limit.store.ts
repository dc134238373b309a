import Redis from 'ioredis';
import type { RateLimitRepository } from './rate-limit.repository';

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
  /** Drops these counters altogether. */
  abstract forget(keys: string[]): Promise<void>;
  /** Drops every counter whose key starts with one of these prefixes. */
  abstract forgetPrefixes(prefixes: string[]): Promise<void>;
}

export class PostgresRateLimitStore extends RateLimitStore {
  constructor(private readonly counters: RateLimitRepository) {
    super();
  }

  hit(key: string, windowMs: number, now: Date): Promise<RateWindow> {
    return this.counters.hit(key, now, new Date(now.getTime() + windowMs));
  }

  async peek(key: string, now: Date): Promise<RateWindow> {
    return (await this.counters.openWindow(key, now)) ?? { count: 0, resetAt: now };
  }

  undo(key: string, resetAt: Date): Promise<void> {
    return this.counters.takeBack(key, resetAt);
  }

  forget(keys: string[]): Promise<void> {
    return this.counters.deleteKeys(keys);
  }

  forgetPrefixes(prefixes: string[]): Promise<void> {
    return this.counters.deleteKeysStartingWith(prefixes);
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

  async forget(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => this.prefix + key));
  }

  /** Keys are names and base64url hashes, none of which is a glob character. */
  async forgetPrefixes(prefixes: string[]): Promise<void> {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}${prefix}*`, 'COUNT', 500);
        if (keys.length > 0) await this.redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  }
}
