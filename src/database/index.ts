export { createDataSource, dataSourceOptions } from './data-source';
export { DatabaseModule } from './database.module';
export { Sql } from './sql';
export { runMigrations } from './run-migrations';
export { Transactional, TransactionHost } from './transactions';
export { knownMigrations } from './known-migrations';
