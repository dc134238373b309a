import { createServer, Server, Socket } from 'node:net';
import { Client } from 'pg';
import { Sql } from '../../../src/database';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, PASSWORD, signUpVerified, SignedUp } from '../../support/users';

const UNAVAILABLE = {
  statusCode: 503,
  error: 'service_unavailable',
  message: 'The service is unavailable; try again shortly.',
};

/**
 * A TCP relay between the app and PostgreSQL that the test can cut (every connection dropped, new
 * ones refused, as while the server restarts) and restore on the same port.
 */
class CuttableRelay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<CuttableRelay> {
    const relay = new CuttableRelay(target, 0);
    const port = await relay.listen(0);
    return Object.assign(relay, { port });
  }

  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  }

  async restore(): Promise<void> {
    await this.listen(this.port);
  }

  private listen(port: number): Promise<number> {
    const server = createServer((client) => {
      const upstream = new Socket();
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      upstream.connect(this.target.port, this.target.host);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve) =>
      server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
  }
}

describe('the database down or slow', () => {
  let database: TestDatabase;
  let relay: CuttableRelay;
  let t: TestApp;
  let user: SignedUp;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.url);
    relay = await CuttableRelay.start({ host: target.hostname, port: Number(target.port || 5432) });
    t = await startTestApp({
      database: { ...database, url: relay.url(database.url) },
      env: { DB_LOCK_TIMEOUT: '300ms', DB_STATEMENT_TIMEOUT: '1s' },
    });
    user = await signUpVerified(t);
  });
  afterAll(async () => {
    await t.close();
    await relay.cut();
    await database.drop();
  });

  const login = () => t.http.post('/auth/login').send({ email: user.email, password: PASSWORD });

  it('answers 503 with Retry-After, not 500, while PostgreSQL cannot be reached, and recovers', async () => {
    await relay.cut();
    try {
      for (const res of [await t.http.get('/me').set(bearer(user.token)), await login()]) {
        expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: UNAVAILABLE });
        expect(res.headers['retry-after']).toBe('5');
      }
      expect((await t.http.get('/health')).status).toBe(503);
    } finally {
      await relay.restore();
    }
    await t.http.get('/me').set(bearer(user.token)).expect(200);
    await login().expect(200);
  });

  it('cancels a request waiting on a lock after DB_LOCK_TIMEOUT: 503, then works once the lock is gone', async () => {
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE sessions, users IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const [me, signIn] = await Promise.all([t.http.get('/me').set(bearer(user.token)), login()]);
      for (const res of [me, signIn]) {
        expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: UNAVAILABLE });
        expect(res.headers['retry-after']).toBe('5');
      }
      // Well before the statement timeout (1 s), let alone forever.
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await t.http.get('/me').set(bearer(user.token)).expect(200);
  });

  it('cancels a statement that runs longer than DB_STATEMENT_TIMEOUT', async () => {
    const started = Date.now();
    const error = await t.app
      .get(Sql)
      .rows('SELECT pg_sleep(10)')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '57014' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('the database refusing new connections', () => {
  let database: TestDatabase;
  let t: TestApp;
  let user: SignedUp;
  let admin: Client;

  beforeAll(async () => {
    // A database of its own: ALTER DATABASE must not reach any other spec's.
    database = await createTestDatabase();
    t = await startTestApp({ database });
    user = await signUpVerified(t);
    admin = new Client({ connectionString: process.env.TEST_ADMIN_URL });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS true`);
    await admin.end();
    await t.close();
    await database.drop();
  });

  const login = () => t.http.post('/auth/login').send({ email: user.email, password: PASSWORD });

  it('answers 503 with Retry-After when PostgreSQL refuses to connect (55000), and recovers', async () => {
    await admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS false`);
    try {
      // The pool's open connections would go on serving: end them, so every request needs a new one.
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database.name]);
      await waitUntil(async () => {
        const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
          database.name,
        ]);
        return rows[0].n === 0;
      });
      // Twice each: the first may still meet a connection the pool has not yet noticed was ended.
      for (let round = 0; round < 2; round++) {
        for (const res of [await t.http.get('/me').set(bearer(user.token)), await login()]) {
          expect({ status: res.status, body: res.body }).toEqual({ status: 503, body: UNAVAILABLE });
          expect(res.headers['retry-after']).toBe('5');
        }
      }
    } finally {
      await admin.query(`ALTER DATABASE "${database.name}" ALLOW_CONNECTIONS true`);
    }
    await t.http.get('/me').set(bearer(user.token)).expect(200);
    await login().expect(200);
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
