import { join } from 'node:path';
import { AppConfig } from '../config';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface OpenedDatabase {
  /** The configuration with its database URL resolved. */
  config: AppConfig;
  /** Stops the embedded server, if one was started. */
  close(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL kept under DATA_DIR. */
export async function openDatabase(config: AppConfig, log: (message: string) => void): Promise<OpenedDatabase> {
  if (config.databaseUrl) return { config, close: async () => undefined };
  const embedded = await startEmbeddedPostgres({ directory: join(config.dataDir, 'postgres'), database: 'authd', log });
  return { config: config.with({ databaseUrl: embedded.url }), close: () => embedded.stop() };
}
