// First: the tracer, when there is one, must see `http` and `pg` load.
import { tracer } from './tracing';
import type { Server, ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app';
import { describeError } from './common/describe-error';
import { BackgroundWork } from './common/background-work';
import { createLogger } from './common/logging';
import { AppConfig, ConfigError, loadConfigFromEnv } from './config';
import { runMigrations } from './database';
import { EncryptionKeyMismatch } from './encryption';
import { openDatabase } from './dev/open-database';
import { Readiness } from './health/readiness';
import { OutboxRelay } from './tasks';

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

  let app: NestFastifyApplication;
  try {
    app = await createApp(config);
  } catch (error) {
    if (!(error instanceof EncryptionKeyMismatch)) throw error;
    process.stderr.write(`${error.message}\n`);
    await database.close();
    process.exit(1);
  }
  await app.get(OutboxRelay).start();
  await listenOnEveryInterface(app, config.port);
  log.info(
    { port: config.port, embeddedDatabase, appUrl: config.appUrl, startupMs: Math.round(performance.now() - started) },
    `listening on port ${config.port}: http://localhost:${config.port}, API documentation at http://localhost:${config.port}/docs`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      // Readiness answers 503 from now on, so a load balancer stops sending requests; those in
      // flight finish, then the mail relay, and only then the database they all use.
      app.get(Readiness).beginShutdown();
      await drain(app.getHttpServer() as Server, SHUTDOWN_GRACE_MS);
      await app.get(BackgroundWork).drain();
      await app.get(OutboxRelay).stop();
      await app.close();
      await database.close();
      await tracer?.shutdown();
      process.exit(0);
    } catch (error) {
      log.error({ error: describeError(error) }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Like Node's own `listen(port)`: the unspecified IPv6 address (which takes IPv4 too), or 0.0.0.0
 * where IPv6 is unavailable. Fastify alone would listen on localhost only.
 */
async function listenOnEveryInterface(app: NestFastifyApplication, port: number): Promise<void> {
  try {
    await app.listen({ port, host: '::' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT') throw error;
    await app.listen({ port, host: '0.0.0.0' });
  }
}

/**
 * Resolves once every connection has ended, or after `graceMs`, when the rest are cut. While a
 * request is in flight the server still takes connections (readiness answers 503 on them, so a load
 * balancer probing it moves away, and requests it still sends are served); once none is, it stops
 * listening. Keep-alive connections are closed as soon as their request is answered, and new
 * requests on them are told `Connection: close`.
 */
function drain(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    // Ahead of the app's own listener, which may answer before a later one runs.
    server.prependListener('request', (_request, response: ServerResponse) =>
      response.setHeader('Connection', 'close'),
    );
    let closing = false;
    const poll = () => {
      server.closeIdleConnections();
      if (closing) return;
      // What is left once the idle connections are closed has a request in flight (or just opened).
      server.getConnections((error, open) => {
        if (closing || error || open > 0) return;
        closing = true;
        server.close(finish);
      });
    };
    const idle = setInterval(poll, 50);
    const timer = setTimeout(() => {
      if (!closing) server.close();
      closing = true;
      server.closeAllConnections();
      finish();
    }, graceMs);
    const finish = () => {
      clearInterval(idle);
      clearTimeout(timer);
      resolve();
    };
    poll();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
