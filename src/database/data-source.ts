import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';

const ROOT = join(__dirname, '..');

/** One definition of the database for the app, the CLI and the tests. */
export function dataSourceOptions(url: string, poolSize = 20): DataSourceOptions {
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
    extra: { connectionTimeoutMillis: 5000 },
  };
}

export function createDataSource(url: string, poolSize?: number): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}
