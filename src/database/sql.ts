import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityTarget, ObjectLiteral, QueryResult, Repository } from 'typeorm';
import { TransactionHost } from './transactions';

/**
 * The one way repositories reach PostgreSQL. Every call runs in the ambient transaction (see
 * TransactionHost) unless it says otherwise, and answers one shape whatever the SQL verb:
 * `rows` the rows a statement returns (SELECT, or INSERT/UPDATE/DELETE … RETURNING), `count`
 * how many rows it touched.
 */
@Injectable()
export class Sql {
  private readonly pool: Pool;

  constructor(
    private readonly txHost: TransactionHost,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    // TypeORM's own pool: the prepared lookups share its connections and its size.
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
  }

  async rows<Row>(text: string, values: unknown[] = []): Promise<Row[]> {
    return ((await this.run(text, values)).records ?? []) as Row[];
  }

  async one<Row>(text: string, values: unknown[] = []): Promise<Row | undefined> {
    return (await this.rows<Row>(text, values))[0];
  }

  async count(text: string, values: unknown[] = []): Promise<number> {
    return (await this.run(text, values)).affected ?? 0;
  }

  private async run(text: string, values: unknown[]): Promise<QueryResult> {
    const joined = this.txHost.tx.queryRunner;
    const runner = joined ?? this.dataSource.createQueryRunner();
    try {
      return await runner.query(text, values, true);
    } finally {
      if (!joined) await runner.release();
    }
  }

  /** TypeORM's repository for an entity, joined to the ambient transaction. */
  repository<Entity extends ObjectLiteral>(entity: EntityTarget<Entity>): Repository<Entity> {
    return this.txHost.tx.getRepository(entity);
  }

  /**
   * A named prepared statement straight on the pool, outside any transaction: for the lookups every
   * authenticated request makes. PostgreSQL plans it once per connection and the request skips
   * TypeORM's per-query runner.
   */
  async prepared<Row>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    return (await this.pool.query({ name, text, values })).rows as Row[];
  }
}
