import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Pool, PoolClient, QueryResult } from 'pg';
import { AppConfig } from '../config';
import { poolConfig } from './pool';

/**
 * The one way repositories reach PostgreSQL: SQL written out, on pg's pool. Every call runs in the
 * ambient transaction (see TransactionHost) unless it says otherwise, and answers one shape whatever
 * the SQL verb: `rows` the rows a statement returns (SELECT, or INSERT/UPDATE/DELETE … RETURNING),
 * `count` how many rows it touched.
 */
@Injectable()
export class Sql implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private readonly pool: Pool;
  /** The connection of the transaction the caller runs in; TransactionHost opens and ends it. */
  private readonly ambient = new AsyncLocalStorage<HeldConnection>();
  private ending = false;

  constructor(config: AppConfig) {
    if (!config.databaseUrl) throw new Error('the database URL must be resolved before the app starts');
    this.pool = new Pool(
      poolConfig(config.databaseUrl, {
        statementTimeoutMs: config.databaseStatementTimeoutMs,
        lockTimeoutMs: config.databaseLockTimeoutMs,
      }),
    );
    // An idle connection that breaks (the server restarts, a backend is terminated) is dropped by
    // the pool; unheard, its error would end the process. What it says names no row and no secret.
    // Once the pool is ending, the server going away (an embedded one stops next) is no news.
    this.pool.on('error', (error: Error & { code?: string }) => {
      if (this.ending) return;
      this.logger.warn({
        error: { type: error.name, errorCode: error.code, message: error.message },
        msg: 'an idle database connection broke',
      });
    });
  }

  async rows<Row>(text: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.run(text, values)).rows as Row[];
  }

  async one<Row>(text: string, values: unknown[] = []): Promise<Row | undefined> {
    return (await this.rows<Row>(text, values))[0];
  }

  async count(text: string, values: unknown[] = []): Promise<number> {
    return (await this.run(text, values)).rowCount ?? 0;
  }

  /**
   * A named prepared statement straight on the pool, outside any transaction: for the lookups every
   * authenticated request makes. PostgreSQL parses and plans it once per connection.
   */
  async prepared<Row>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    return (await this.pool.query({ name, text, values })).rows as Row[];
  }

  /**
   * A connection of its own, outside the ambient transaction, until released: for a transaction
   * (TransactionHost) or session state that must be undone where it was set (an advisory lock).
   */
  async hold(): Promise<HeldConnection> {
    return new HeldConnection(await this.pool.connect());
  }

  /** Whether the caller runs in a transaction. */
  get inTransaction(): boolean {
    return this.ambient.getStore() !== undefined;
  }

  /** Runs `work` with every call on `connection` (TransactionHost's transaction). */
  within<T>(connection: HeldConnection, work: () => T): T {
    return this.ambient.run(connection, work);
  }

  /** Runs `work` outside any transaction the caller is in. */
  outside<T>(work: () => T): T {
    return this.ambient.exit(work);
  }

  /**
   * Ends the pool (main.ts closes the app once requests, background work and the mail relay are
   * done). An enabled store stays in Node's list of async-context stores, and every promise created
   * in the process then pays to propagate it: a closed app (a test's, a CLI task's) takes it out.
   */
  /** The pool's connections (open, of which idle) and the callers waiting for one: for the metrics. */
  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async onApplicationShutdown(): Promise<void> {
    this.ambient.disable();
    this.ending = true;
    await this.pool.end();
  }

  private run(text: string, values: unknown[]): Promise<QueryResult> {
    const joined = this.ambient.getStore();
    return joined ? joined.query(text, values) : this.pool.query(text, values);
  }
}

/** One connection taken from the pool, until released. */
export class HeldConnection {
  /** What broke the connection while it was held; it is then closed, not pooled. */
  private failure: Error | undefined;
  // The pool listens on idle connections only: one that breaks while held (between two statements
  // of a transaction) would otherwise raise an error nobody hears, and end the process.
  private readonly onError = (error: Error) => void (this.failure ??= error);

  constructor(private readonly client: PoolClient) {
    client.on('error', this.onError);
  }

  query(text: string, values: unknown[] = []): Promise<QueryResult> {
    return this.client.query(text, values);
  }

  async rows<Row>(text: string, values: unknown[] = []): Promise<Row[]> {
    return (await this.query(text, values)).rows as Row[];
  }

  /**
   * Back to the pool. A connection that broke, or that the holder says is in doubt (a failed
   * ROLLBACK, an unlock that did not happen), is closed instead, and PostgreSQL ends whatever it
   * still held.
   */
  release(inDoubt?: unknown): void {
    this.client.off('error', this.onError);
    const reason = inDoubt === undefined || inDoubt instanceof Error ? inDoubt : new Error(String(inDoubt));
    this.client.release(this.failure ?? reason);
  }
}
