import { Provider, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { configureApp, createHttpAdapter } from '../../src/app';
import { AppModule } from '../../src/app.module';
import { BackgroundWork } from '../../src/common/background-work';
import { Clock } from '../../src/common/clock';
import { AppConfig, Env, loadConfig, PasswordHashing } from '../../src/config';
import { EncryptionKeys } from '../../src/encryption';
import { OutboxRelay } from '../../src/tasks';
import { createTestDatabase, TestDatabase } from './database';
import { FakeClock } from './fake-clock';
import { SmtpCapture } from './smtp';

export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * argon2id at its cheapest sensible cost: specs sign up and log in hundreds of times, and the
 * production cost (tens of milliseconds a hash) would be most of the suite's time. Verification
 * reads the cost from the stored hash, so the code under test is the same.
 */
export const TEST_PASSWORD_HASHING: PasswordHashing = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface TestAppOptions {
  env?: Env;
  /** Reuse a database (a second instance of the service); by default each app gets its own. */
  database?: TestDatabase;
  /** Extra controllers and providers, to probe the platform from inside. */
  controllers?: Type[];
  providers?: Provider[];
  /** Collects every log line the app writes (JSON, one per entry). */
  logs?: string[];
  /** Hash at the configured production cost instead of TEST_PASSWORD_HASHING (one spec proves that cost). */
  productionPasswordHashing?: boolean;
}

export interface TestApp {
  app: NestFastifyApplication;
  http: TestAgent;
  clock: FakeClock;
  mail: SmtpCapture;
  config: AppConfig;
  database: TestDatabase;
  /**
   * The spec's own connections to the app's database, to look at or change rows behind the app's
   * back (and to run a migration on a query runner); the app itself reaches it through Sql.
   */
  dataSource: DataSource;
  close(): Promise<void>;
}

/** The real app, as `npm start` builds it, on a database of its own and a real SMTP server. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const mail = await SmtpCapture.start();
  const loaded = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    SMTP_URL: mail.url,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    TASKS_ENABLED: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });
  const config = options.productionPasswordHashing ? loaded : loaded.with({ passwordHashing: TEST_PASSWORD_HASHING });
  const clock = new FakeClock();
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register(config)],
    controllers: options.controllers ?? [],
    providers: options.providers ?? [],
  })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  const logs = options.logs;
  configureApp(
    app,
    config,
    logs ? { write: (line: string) => void logs.push(...line.split('\n').filter(Boolean)) } : undefined,
  );
  // As createApp does: the key checked against the database's before anything runs.
  try {
    await app.get(EncryptionKeys).verifyAtStart();
  } catch (error) {
    await app.close();
    await mail.down();
    if (!options.database) await database.drop();
    throw error;
  }
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await app.get(OutboxRelay).start();
  const dataSource = await new DataSource({
    type: 'postgres',
    url: database.url,
    applicationName: 'authd-test',
    poolSize: 4,
    logging: false,
  }).initialize();
  return {
    app,
    http: request(app.getHttpServer()),
    clock,
    mail,
    config,
    database,
    dataSource,
    close: async () => {
      await app.get(BackgroundWork).drain();
      await app.close();
      await dataSource.destroy();
      await mail.down();
      if (!options.database) await database.drop();
    },
  };
}
