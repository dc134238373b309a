export { createDataSource, dataSourceOptions } from './data-source';
export { DatabaseModule } from './database.module';
export { openDatabase, runMigrations } from './open-database';
export type { OpenedDatabase } from './open-database';
