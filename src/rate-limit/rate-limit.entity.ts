import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One fixed window of one counter (PostgreSQL store; with REDIS_URL the counters live in Redis). */
@Entity('rate_limits')
@Index('rate_limits_reset_at_idx', ['resetAt'])
export class RateLimitCounter {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  key: string;

  @Column({ type: 'integer' })
  count: number;

  @Column({ name: 'reset_at', type: 'timestamptz' })
  resetAt: Date;
}
