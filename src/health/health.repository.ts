import { Injectable } from '@nestjs/common';
import { Sql } from '../database';

/** Health owns no table: it only asks whether the database answers. */
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
}
