import { TaskRunner } from '../../../src/tasks';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, PASSWORD, signUp } from '../../support/users';

const MINUTE = 60_000;

describe('the session pipeline', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
    // Counts every row write to sessions, so the touch throttle is measured, not inferred.
    await t.dataSource.query(`
      CREATE TABLE session_writes (session_id uuid, at timestamptz DEFAULT clock_timestamp());
      CREATE FUNCTION count_session_write() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN INSERT INTO session_writes (session_id) VALUES (NEW.id); RETURN NEW; END $$;
      CREATE TRIGGER count_session_write AFTER UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION count_session_write();`);
  });
  afterAll(() => t.close());

  const writes = async (sessionId: string) =>
    (await t.dataSource.query('SELECT count(*)::int AS n FROM session_writes WHERE session_id = $1', [sessionId]))[0].n;

  it('writes last_active_at at most once per SESSION_TOUCH_INTERVAL', async () => {
    const user = await signUp(t);
    for (let i = 0; i < 20; i++) await t.http.get('/me').set(bearer(user.token)).expect(200);
    expect(await writes(user.sessionId)).toBe(0);

    t.clock.advance(MINUTE);
    for (let i = 0; i < 20; i++) await t.http.get('/me').set(bearer(user.token)).expect(200);
    expect(await writes(user.sessionId)).toBe(1);
    const [row] = await t.dataSource.query('SELECT last_active_at FROM sessions WHERE id = $1', [user.sessionId]);
    expect(row.last_active_at).toEqual(t.clock.now());

    t.clock.advance(30_000);
    await t.http.get('/me').set(bearer(user.token)).expect(200);
    expect(await writes(user.sessionId)).toBe(1);
  });

  it('ends an idle session after SESSION_IDLE_TIMEOUT with reason idle', async () => {
    const user = await signUp(t);
    t.clock.advance(29 * MINUTE);
    await t.http.get('/me').set(bearer(user.token)).expect(200);
    t.clock.advance(29 * MINUTE);
    await t.http.get('/me').set(bearer(user.token)).expect(200);
    t.clock.advance(30 * MINUTE);
    const res = await t.http.get('/me').set(bearer(user.token)).expect(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'session_expired',
      reason: 'idle',
      message: expect.any(String),
    });
  });

  it('ends an active session after SESSION_ABSOLUTE_TIMEOUT with reason absolute', async () => {
    const user = await signUp(t);
    for (let elapsed = 0; elapsed < 24 * 60 * MINUTE - 20 * MINUTE; elapsed += 20 * MINUTE) {
      t.clock.advance(20 * MINUTE);
      await t.http.get('/me').set(bearer(user.token)).expect(200);
    }
    t.clock.advance(20 * MINUTE);
    const res = await t.http.get('/me').set(bearer(user.token)).expect(401);
    expect(res.body).toMatchObject({ error: 'session_expired', reason: 'absolute' });
  });

  it('clears a dead cookie', async () => {
    const user = await signUp(t);
    await t.http.post('/auth/logout').set(bearer(user.token)).expect(204);
    const res = await t.http.get('/me').set('Cookie', `sid=${user.token}`).expect(401);
    expect(([] as string[]).concat(res.headers['set-cookie'])[0]).toMatch(/^sid=;/);
  });

  describe('CSRF', () => {
    it('refuses a cookie-authenticated unsafe request without a trusted Origin or Referer', async () => {
      const user = await signUp(t);
      const cookie = `sid=${user.token}`;
      for (const headers of [
        {},
        { Origin: 'https://evil.example' },
        { Referer: 'https://evil.example/page' },
        { Origin: 'null' },
      ]) {
        const res = await t.http.patch('/me').set('Cookie', cookie).set(headers).send({ name: 'x' }).expect(403);
        expect(res.body.error).toBe('csrf_rejected');
      }
      const named = await t.http
        .patch('/me')
        .set('Cookie', cookie)
        .set('Origin', 'http://localhost:4800')
        .send({ name: 'x' })
        .expect(403);
      expect(named.body.message).toContain('came from http://localhost:4800');
      expect(named.body.message).toContain('APP_URL');
      expect(named.body.message).toContain('CORS_ORIGINS');
      await t.http
        .patch('/me')
        .set('Cookie', cookie)
        .set('Origin', 'http://localhost:3000')
        .send({ name: 'a' })
        .expect(200);
      await t.http
        .patch('/me')
        .set('Cookie', cookie)
        .set('Referer', 'http://localhost:3000/settings')
        .send({ name: 'b' })
        .expect(200);
      // Outside production the other loopback spelling of APP_URL is trusted too.
      await t.http
        .patch('/me')
        .set('Cookie', cookie)
        .set('Origin', 'http://127.0.0.1:3000')
        .send({ name: 'd' })
        .expect(200);
      // Safe methods and bearer requests are exempt.
      await t.http.get('/me').set('Cookie', cookie).expect(200);
      await t.http.patch('/me').set(bearer(user.token)).send({ name: 'c' }).expect(200);
    });
  });

  it('purge-expired-sessions deletes expired and revoked sessions, and keeps live ones', async () => {
    const idle = await signUp(t);
    const revoked = await signUp(t);
    await t.http.post('/auth/logout').set(bearer(revoked.token)).expect(204);
    t.clock.advance(31 * MINUTE);
    const live = await signUp(t);
    const result = await t.app.get(TaskRunner).run('purge-expired-sessions');
    expect(result).toMatchObject({ status: 'done' });
    const left = (await t.dataSource.query('SELECT id FROM sessions')).map((r: { id: string }) => r.id);
    expect(left).toContain(live.sessionId);
    expect(left).not.toContain(idle.sessionId);
    expect(left).not.toContain(revoked.sessionId);
    expect(await t.app.get(TaskRunner).run('purge-expired-sessions')).toMatchObject({ result: { deleted: 0 } });
  });
});

describe('client addresses and TRUST_PROXY', () => {
  const ipOfLogin = async (t: TestApp, forwardedFor: string) => {
    const user = await signUp(t);
    const res = await t.http
      .post('/auth/login')
      .set('X-Forwarded-For', forwardedFor)
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    return (await t.dataSource.query('SELECT ip FROM sessions WHERE id = $1', [res.body.session.id]))[0].ip;
  };

  it('ignores X-Forwarded-For by default', async () => {
    const t = await startTestApp();
    try {
      expect(await ipOfLogin(t, '203.0.113.9')).toBe('127.0.0.1');
    } finally {
      await t.close();
    }
  });

  it('reads X-Forwarded-For from trusted proxies', async () => {
    const t = await startTestApp({ env: { TRUST_PROXY: '127.0.0.1' } });
    try {
      expect(await ipOfLogin(t, '198.51.100.7, 203.0.113.9')).toBe('203.0.113.9');
    } finally {
      await t.close();
    }
  });

  it('reads X-Forwarded-For through proxies given as CIDRs', async () => {
    const t = await startTestApp({ env: { TRUST_PROXY: '10.0.0.0/8, 127.0.0.0/8' } });
    try {
      expect(await ipOfLogin(t, '203.0.113.9, 198.51.100.7, 10.1.2.3')).toBe('198.51.100.7');
    } finally {
      await t.close();
    }
  });
});
