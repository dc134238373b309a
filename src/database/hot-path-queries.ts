import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * The lookups every authenticated request makes (session, API key) go straight to the pool that
 * TypeORM already holds, as named prepared statements: PostgreSQL plans them once per connection,
 * and the request skips TypeORM's per-query runner. Everything else goes through TypeORM.
 */
@Injectable()
export class HotPathQueries {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  async query<Row>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    return (await this.pool.query({ name, text, values })).rows as Row[];
  }
}
