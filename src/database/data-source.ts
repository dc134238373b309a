import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';

const ROOT = join(__dirname, '..');

/**
 * Limits PostgreSQL enforces on every pooled connection (pg's client settings, sent at connect): a
 * statement running or waiting for a lock longer is cancelled, and the request answers 503 instead
 * of hanging. The serving app sets them; migrations and `npm run task` run without (0: no limit).
 */
export interface DatabaseTimeouts {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** One definition of the database for the app, the CLI and the tests. */
export function dataSourceOptions(url: string, poolSize = 20, timeouts?: DatabaseTimeouts): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    applicationName: 'authd',
    entities: [join(ROOT, '**', '*.entity.{ts,js}')],
    migrations: [join(ROOT, '..', 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension, no superuser needed.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    logging: false,
    poolSize,
    extra: {
      connectionTimeoutMillis: 5000,
      ...(timeouts && {
        statement_timeout: timeouts.statementTimeoutMs,
        lock_timeout: timeouts.lockTimeoutMs,
        // A transaction left open by a stuck request must not hold its locks for longer either.
        idle_in_transaction_session_timeout: timeouts.statementTimeoutMs,
      }),
    },
  };
}

export function createDataSource(url: string, poolSize?: number): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}
