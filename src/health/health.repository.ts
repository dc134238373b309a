import { Injectable } from '@nestjs/common';
import { Sql } from '../database';

/** Health owns no table: it only asks whether the database answers. */
@Injectable()
export class HealthRepository {
  constructor(private readonly sql: Sql) {}

  /** Resolves when the database answers a query; rejects when it cannot be reached. */
  async ping(): Promise<void> {
    await this.sql.rows('SELECT 1');
  }
}
