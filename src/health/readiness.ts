import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { knownMigrations } from '../database';
import type { ReadinessDto } from './health.dto';
import { HealthRepository } from './health.repository';

const TIMEOUT_MS = 2000;

/**
 * Whether this instance should be sent traffic: the database answers, every migration this build
 * carries is applied, and the process is not shutting down. Once the migrations were seen applied
 * that stays known (they are never taken back under a running build), so later checks only ping.
 */
@Injectable()
export class Readiness implements BeforeApplicationShutdown {
  private shuttingDown = false;
  private migrated = false;

  constructor(private readonly database: HealthRepository) {}

  /** From now on readiness answers 503, while the requests in flight are still served. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  beforeApplicationShutdown(): void {
    this.beginShutdown();
  }

  /** Whether the database answers a query. */
  async ping(): Promise<true> {
    await this.database.ping();
    return true;
  }

  async check(): Promise<ReadinessDto> {
    const db = await this.withTimeout(() => this.ping());
    let migrations: ReadinessDto['migrations'] = 'unknown';
    if (db) {
      if (!this.migrated) {
        const applied = await this.withTimeout(() => this.database.appliedMigrations());
        if (applied) this.migrated = knownMigrations().every((name) => applied.includes(name));
        migrations = applied ? (this.migrated ? 'applied' : 'pending') : 'unknown';
      } else {
        migrations = 'applied';
      }
    }
    const shuttingDown = this.shuttingDown;
    const ready = db && migrations === 'applied' && !shuttingDown;
    return { status: ready ? 'ready' : 'not_ready', db: db ? 'up' : 'down', migrations, shuttingDown };
  }

  /** Resolves the work's result, or false when it fails or outlasts TIMEOUT_MS. */
  async withTimeout<T>(work: () => Promise<T>): Promise<T | false> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), TIMEOUT_MS)));
    try {
      return await Promise.race([work().catch(() => false as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
