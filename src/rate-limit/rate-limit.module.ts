import { Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import Redis from 'ioredis';
import { AppConfig } from '../config';
import { PurgeRateLimitsTask } from './purge-rate-limits.task';
import { IpRateLimitGuard } from './rate-limit.guard';
import { RateLimitRepository } from './rate-limit.repository';
import { PostgresRateLimitStore, RateLimitStore, RedisRateLimitStore } from './rate-limit.store';
import { RateLimitUserData } from './rate-limit.user-data';
import { RateLimiter } from './rate-limiter.service';

const REDIS = Symbol('rate-limit-redis');

@Module({
  imports: [CommonModule],
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        config.redisUrl ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 }) : null,
    },
    {
      provide: RateLimitStore,
      inject: [REDIS, RateLimitRepository],
      useFactory: (redis: Redis | null, counters: RateLimitRepository) =>
        redis ? new RedisRateLimitStore(redis) : new PostgresRateLimitStore(counters),
    },
    RateLimitRepository,
    RateLimiter,
    RateLimitUserData,
    IpRateLimitGuard,
    PurgeRateLimitsTask,
  ],
  exports: [RateLimiter, IpRateLimitGuard],
})
export class RateLimitModule implements OnApplicationShutdown {
  constructor(@Optional() @Inject(REDIS) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }
}
