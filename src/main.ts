import { createApp } from './app';
import { createLogger } from './common/logging';
import { AppConfig, ConfigError, loadConfigFromEnv } from './config';
import { openDatabase, runMigrations } from './database';
import { OutboxRelay } from './mail';

/** `npm start`: validate config, open the database (embedded unless DATABASE_URL), migrate, serve. */
async function main(): Promise<void> {
  const started = performance.now();
  let config: AppConfig;
  try {
    config = loadConfigFromEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config);

  const embeddedDatabase = !config.databaseUrl;
  const database = await openDatabase(config, (message) => log.info(message));
  config = database.config;
  const applied = await runMigrations(config.databaseUrl!);
  if (applied.length > 0) log.info({ migrations: applied }, 'migrations applied');

  const app = await createApp(config);
  await app.get(OutboxRelay).start();
  await app.listen(config.port);
  log.info(
    { port: config.port, embeddedDatabase, startupMs: Math.round(performance.now() - started) },
    `listening on port ${config.port}`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await app.close();
      await database.close();
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
