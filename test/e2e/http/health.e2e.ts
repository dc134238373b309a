import { Client } from 'pg';
import { databaseUrl } from '../../support/database';
import { startTestApp, TestApp } from '../../support/test-app';

describe('GET /health', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('answers 200 {status: ok, db: up}', async () => {
    await t.http.get('/health').expect(200, { status: 'ok', db: 'up' });
  });

  it('answers 503 while the database refuses connections, and recovers', async () => {
    const admin = new Client({ connectionString: databaseUrl('postgres') });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${t.database.name}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [t.database.name]);
      const down = await t.http.get('/health').expect(503);
      expect(down.body).toEqual({ status: 'error', db: 'down' });

      await admin.query(`ALTER DATABASE "${t.database.name}" ALLOW_CONNECTIONS true`);
      await t.http.get('/health').expect(200, { status: 'ok', db: 'up' });
    } finally {
      await admin.query(`ALTER DATABASE "${t.database.name}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
  });
});
