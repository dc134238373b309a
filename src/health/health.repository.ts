import { Injectable } from '@nestjs/common';
import { Sql } from '../database';

/** Health owns no table: it only asks whether the database answers, and which migrations it has. */
@Injectable()
export class HealthRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Resolves when the database answers a query; rejects when it cannot be reached. A prepared
   * statement on the pool, like the per-request lookups: load balancers call this often.
   */
  async ping(): Promise<void> {
    await this.sql.prepared('ping', 'SELECT 1', []);
  }

  /** The names in TypeORM's record of the migrations applied. */
  async appliedMigrations(): Promise<string[]> {
    const rows = await this.sql.prepared<{ name: string }>('applied-migrations', 'SELECT name FROM migrations', []);
    return rows.map((row) => row.name);
  }
}
