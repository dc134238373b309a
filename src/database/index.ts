export { createDataSource, dataSourceOptions } from './data-source';
export { DatabaseModule } from './database.module';
export { Sql } from './sql';
export { openDatabase, runMigrations } from './open-database';
export type { OpenedDatabase } from './open-database';
export { Transactional, TransactionHost } from './transactions';
