import { randomBytes, randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { RateLimitStore, RedisRateLimitStore } from '../../../src/rate-limit/rate-limit.store';
import { MailDelivery } from '../../../src/mail';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, confirmPassword, logIn, PASSWORD, signUp, uniqueEmail } from '../../support/users';

const MINUTE = 60_000;

/** One app for these tests; each starts with no counters, as on a fresh database. */
describe('rate limits (PostgreSQL store)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Behind one trusted proxy: a request without X-Forwarded-For comes from 127.0.0.1, one with it
    // from the address it names.
    t = await startTestApp({ env: { TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.dataSource.query('DELETE FROM rate_limits');
  });

  const from = (ip: string) => ({ 'X-Forwarded-For': ip });

  const expect429 = (
    res: { status: number; body: { error: string }; headers: Record<string, string> },
    maxSeconds: number,
  ) => {
    expect(res.status).toBe(429);
    expect(res.body.error).toBe('too_many_requests');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  };

  it('login: 10 failed attempts per account per 15 minutes, then even the right password waits', async () => {
    // Signed up from 127.0.0.1; the guesses and the waiting sign-in come from addresses it never used.
    const user = await signUp(t);
    const other = await signUp(t);
    for (let i = 0; i < 10; i++) {
      await t.http
        .post('/auth/login')
        .set(from('203.0.113.1'))
        .send({ email: user.email, password: `Wrong-${i}-pw` })
        .expect(401);
    }
    expect429(
      await t.http.post('/auth/login').set(from('203.0.113.2')).send({ email: user.email, password: PASSWORD }),
      15 * 60,
    );
    // Per account: another one is unaffected.
    await t.http
      .post('/auth/login')
      .set(from('203.0.113.2'))
      .send({ email: other.email, password: PASSWORD })
      .expect(200);
    t.clock.advance(15 * MINUTE);
    await t.http
      .post('/auth/login')
      .set(from('203.0.113.2'))
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
  });

  it('login: past the account limit, an address the account signed in from still gets in; others wait', async () => {
    const home = from('198.51.100.10');
    const user = await signUp(t);
    await t.http.post('/auth/login').set(home).send({ email: user.email, password: PASSWORD }).expect(200);
    // Someone else guesses from elsewhere until the account is locked.
    for (let i = 0; i < 10; i++) {
      await t.http
        .post('/auth/login')
        .set(from('203.0.113.66'))
        .send({ email: user.email, password: `Wrong-${i}-pw` })
        .expect(401);
    }
    expect429(
      await t.http.post('/auth/login').set(from('203.0.113.66')).send({ email: user.email, password: PASSWORD }),
      900,
    );
    // A new address waits, even with the right password.
    expect429(
      await t.http.post('/auth/login').set(from('203.0.113.77')).send({ email: user.email, password: PASSWORD }),
      900,
    );
    // The owner, from an address they signed in from before (or signed up from), still signs in.
    await t.http.post('/auth/login').set(home).send({ email: user.email, password: PASSWORD }).expect(200);
    await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    // That address has its own failure limit, so a guesser sharing it gets 10 more guesses, not more.
    for (let i = 0; i < 10; i++) {
      await t.http
        .post('/auth/login')
        .set(home)
        .send({ email: user.email, password: `Wrong-${i}-pw` })
        .expect(401);
    }
    expect429(await t.http.post('/auth/login').set(home).send({ email: user.email, password: PASSWORD }), 900);
    await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    t.clock.advance(15 * MINUTE);
    await t.http
      .post('/auth/login')
      .set(from('203.0.113.77'))
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
  });

  it('login: a known IPv6 address is its /64; an unknown email is locked like any account', async () => {
    const user = await signUp(t);
    await t.http
      .post('/auth/login')
      .set(from('2001:db8:5:6::1'))
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    const ghost = uniqueEmail('ghost');
    for (const email of [user.email, ghost]) {
      for (let i = 0; i < 10; i++) {
        await t.http
          .post('/auth/login')
          .set(from('203.0.113.66'))
          .send({ email, password: `Wrong-${i}-pw` })
          .expect(401);
      }
    }
    await t.http
      .post('/auth/login')
      .set(from('2001:db8:5:6:aaaa::2'))
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    expect429(
      await t.http.post('/auth/login').set(from('2001:db8:5:7::1')).send({ email: user.email, password: PASSWORD }),
      900,
    );
    // Nothing tells an account that exists from one that does not.
    expect429(
      await t.http.post('/auth/login').set(from('2001:db8:5:6::1')).send({ email: ghost, password: PASSWORD }),
      900,
    );
  });

  it('login: successful attempts do not count toward the failure limit', async () => {
    const user = await signUp(t);
    const guesser = from('203.0.113.3');
    for (let i = 0; i < 9; i++)
      await t.http.post('/auth/login').set(guesser).send({ email: user.email, password: 'Wrong-pw-1' }).expect(401);
    for (let i = 0; i < 5; i++)
      await t.http
        .post('/auth/login')
        .set(from('203.0.113.4'))
        .send({ email: user.email, password: PASSWORD })
        .expect(200);
    await t.http.post('/auth/login').set(guesser).send({ email: user.email, password: 'Wrong-pw-1' }).expect(401);
    expect((await t.http.post('/auth/login').set(guesser).send({ email: user.email, password: PASSWORD })).status).toBe(
      429,
    );
  });

  it('login: failures sent all at once cannot outrun the account limit', async () => {
    const user = await signUp(t);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.http
          .post('/auth/login')
          .set(from('203.0.113.5'))
          .send({ email: user.email, password: `Wrong-${i}-pw` }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('login: 100 attempts per IP per 15 minutes', async () => {
    for (let i = 0; i < 100; i++) {
      await t.http
        .post('/auth/login')
        .send({ email: uniqueEmail('spray'), password: 'Wrong-pw-1' })
        .expect(401);
    }
    expect429(await t.http.post('/auth/login').send({ email: uniqueEmail('spray'), password: 'Wrong-pw-1' }), 15 * 60);
  });

  it('signup: 20 per IP per hour', async () => {
    for (let i = 0; i < 20; i++) await signUp(t);
    expect429(await t.http.post('/auth/signup').send({ email: uniqueEmail(), password: PASSWORD }), 3600);
    t.clock.advance(60 * MINUTE);
    await signUp(t);
  });

  it('password/forgot: 5 per account per hour', async () => {
    const { email } = await signUp(t);
    for (let i = 0; i < 5; i++) await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    expect429(await t.http.post('/auth/password/forgot').send({ email }), 3600);
    // The same answer for an address with no account: the limit reveals nothing.
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) await t.http.post('/auth/password/forgot').send({ email: ghost }).expect(202);
    expect((await t.http.post('/auth/password/forgot').send({ email: ghost })).status).toBe(429);
  });

  it('password/forgot: 20 per IP per hour', async () => {
    for (let i = 0; i < 20; i++) await t.http.post('/auth/password/forgot').send({ email: uniqueEmail() }).expect(202);
    expect429(await t.http.post('/auth/password/forgot').send({ email: uniqueEmail() }), 3600);
  });

  it('password/reset: 30 per IP per 15 minutes', async () => {
    const body = { token: 'not-a-token', newPassword: 'A-brand-new-Passphrase-7' };
    for (let i = 0; i < 30; i++) await t.http.post('/auth/password/reset').send(body).expect(400);
    expect429(await t.http.post('/auth/password/reset').send(body), 15 * 60);
  });

  it('SAML login and ACS: 60 per IP per minute each, counted before any other work', async () => {
    const provider = randomUUID();
    const login = () => t.http.get(`/auth/saml/${provider}/login`);
    const acs = () => t.http.post(`/auth/saml/${provider}/acs`).type('form').send({ SAMLResponse: 'PHg+' });
    for (let i = 0; i < 60; i++) await login().expect(404);
    expect429(await login(), 60);
    // Its own counter: the ACS still answers, and another address still signs in.
    for (let i = 0; i < 60; i++) await acs().expect(401);
    expect429(await acs(), 60);
    await t.http.get(`/auth/saml/${provider}/login`).set(from('203.0.113.9')).expect(404);
    t.clock.advance(MINUTE);
    await login().expect(404);
    await acs().expect(401);
  });

  it('POST /me/email: 5 changes per user per hour; a refused change (email_taken) spends nothing', async () => {
    const user = await signUp(t);
    const taken = (await signUp(t)).email;
    for (let i = 0; i < 3; i++) {
      await t.http.post('/me/email').set(bearer(user.token)).send({ email: taken }).expect(409);
    }
    const addresses = Array.from({ length: 6 }, () => uniqueEmail('moved'));
    for (const email of addresses.slice(0, 5)) {
      await t.http.post('/me/email').set(bearer(user.token)).send({ email }).expect(200);
    }
    expect429(await t.http.post('/me/email').set(bearer(user.token)).send({ email: addresses[5] }), 3600);
    expect((await t.http.get('/me').set(bearer(user.token)).expect(200)).body.email).toBe(addresses[4]);
    t.clock.advance(60 * MINUTE);
    // The session idled out meanwhile; signing in again is a fresh authentication.
    const { token } = await logIn(t, addresses[4]);
    await t.http.post('/me/email').set(bearer(token)).send({ email: addresses[5] }).expect(200);
  });

  it('POST /me/email: a fresh account flipping its address to and from a victim’s gets 5 changes, not 30', async () => {
    const victim = uniqueEmail('victim');
    const user = await signUp(t);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const email = i % 2 === 1 ? victim : uniqueEmail('elsewhere');
      statuses.push((await t.http.post('/me/email').set(bearer(user.token)).send({ email })).status);
    }
    expect(statuses).toEqual([...Array<number>(5).fill(200), ...Array<number>(25).fill(429)]);
    // Two links to the victim's address and two notices of leaving it; then nothing more.
    await t.mail.waitFor((m) => m.to === victim, 4);
    await t.app.get(MailDelivery).deliverDue();
    expect(t.mail.messages.filter((m) => m.to === victim)).toHaveLength(4);
  });

  it('POST /me/email: 5 verification mails per target address per hour, whoever asks', async () => {
    const victim = uniqueEmail('victim');
    for (let i = 0; i < 5; i++) {
      const user = await signUp(t);
      await t.http.post('/me/email').set(bearer(user.token)).send({ email: victim }).expect(200);
      await t.http
        .post('/me/email')
        .set(bearer(user.token))
        .send({ email: uniqueEmail('away') })
        .expect(200);
    }
    const next = await signUp(t);
    expect429(await t.http.post('/me/email').set(bearer(next.token)).send({ email: victim }), 3600);
    // The refusal spent nothing of that user's own limit.
    for (let i = 0; i < 5; i++) {
      await t.http
        .post('/me/email')
        .set(bearer(next.token))
        .send({ email: uniqueEmail('own') })
        .expect(200);
    }
  });

  it('POST /auth/resend-verification: the address’s verification mails are limited across accounts', async () => {
    const victim = uniqueEmail('victim');
    const first = await signUp(t, victim);
    for (let i = 0; i < 5; i++) {
      await t.http.post('/auth/resend-verification').set(bearer(first.token)).expect(202);
      t.clock.advance(MINUTE + 1000);
    }
    // The first account leaves the address, and a second one takes it and asks again.
    const token = await confirmPassword(t, first.token);
    await t.http
      .post('/me/email')
      .set(bearer(token))
      .send({ email: uniqueEmail('left') })
      .expect(200);
    const second = await signUp(t, victim);
    expect429(await t.http.post('/auth/resend-verification').set(bearer(second.token)), 3600);
  });

  it('never limits nor writes on authenticated reads', async () => {
    const user = await signUp(t);
    const before = (await t.dataSource.query('SELECT count(*)::int AS n FROM rate_limits'))[0].n;
    for (let i = 0; i < 150; i++) await t.http.get('/me').set(bearer(user.token)).expect(200);
    expect((await t.dataSource.query('SELECT count(*)::int AS n FROM rate_limits'))[0].n).toBe(before);
  });

  it('keeps no address or email in clear in its counters', async () => {
    const { email } = await signUp(t);
    await t.http.post('/auth/login').send({ email, password: 'Wrong-pw-1' }).expect(401);
    const dump = JSON.stringify(await t.dataSource.query('SELECT key FROM rate_limits'));
    expect(dump).not.toContain(email);
    expect(dump).not.toContain('127.0.0.1');
  });

  it('gives a refund back only to the window its attempt was counted in', async () => {
    const store = t.app.get(RateLimitStore);
    const now = t.clock.now();
    const first = await store.hit('refund-test', MINUTE, now);
    const later = new Date(now.getTime() + MINUTE);
    for (let i = 0; i < 3; i++) await store.hit('refund-test', MINUTE, later);
    await store.undo('refund-test', first.resetAt);
    expect((await store.peek('refund-test', later)).count).toBe(3);
  });

  it('counts concurrent hits exactly', async () => {
    const responses = await Promise.all(
      Array.from({ length: 25 }, () =>
        t.http.post('/auth/password/reset').send({ token: 'x', newPassword: 'A-brand-new-Passphrase-7' }),
      ),
    );
    expect(responses.filter((r) => r.status === 429)).toHaveLength(0);
    const [row] = await t.dataSource.query(`SELECT count FROM rate_limits WHERE key LIKE 'reset-ip:%'`);
    expect(row.count).toBe(25);
  });
});

describe('IP limits over IPv6', () => {
  it('count a whole /64 as one client', async () => {
    const t = await startTestApp({ env: { TRUST_PROXY: '1' } });
    try {
      const signupFrom = (ip: string) =>
        t.http.post('/auth/signup').set('X-Forwarded-For', ip).send({ email: uniqueEmail(), password: PASSWORD });
      for (let i = 1; i <= 20; i++) await signupFrom(`2001:db8:0:7::${i.toString(16)}`).expect(201);
      expect((await signupFrom('2001:db8:0:7:ffff:ffff:ffff:1')).status).toBe(429);
      await signupFrom('2001:db8:0:8::1').expect(201);
    } finally {
      await t.close();
    }
  });
});

describe('IP limits behind a proxy', () => {
  // The proxy appends the address it got each request from to whatever X-Forwarded-For the client sent.
  const signupThroughProxy = (t: TestApp, spoofed: string, client: string) =>
    t.http
      .post('/auth/signup')
      .set('X-Forwarded-For', `${spoofed}, ${client}`)
      .send({ email: uniqueEmail(), password: PASSWORD });

  it.each([['true'], ['1'], ['127.0.0.1']])(
    'count the address the proxy saw, not one the client wrote (TRUST_PROXY=%s)',
    async (trustProxy) => {
      const t = await startTestApp({ env: { TRUST_PROXY: trustProxy } });
      try {
        for (let i = 1; i <= 20; i++) await signupThroughProxy(t, `198.51.100.${i}`, '203.0.113.77').expect(201);
        expect((await signupThroughProxy(t, '198.51.100.200', '203.0.113.77')).status).toBe(429);
        await signupThroughProxy(t, '198.51.100.200', '203.0.113.78').expect(201);
      } finally {
        await t.close();
      }
    },
  );
});

/** The Redis store keeps the same windows; these run where a Redis is given (CI sets TEST_REDIS_URL). */
const redisUrl = process.env.TEST_REDIS_URL;
(redisUrl ? describe : describe.skip)('rate limits (Redis store)', () => {
  let redis: Redis;
  let store: RedisRateLimitStore;
  const prefix = `authd-test:${process.pid}:${Date.now()}:`;

  beforeAll(() => {
    redis = new Redis(redisUrl!);
    store = new RedisRateLimitStore(redis, prefix);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('counts hits in a fixed window and starts a new one when it ends', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(await store.peek('k', now)).toEqual({ count: 0, resetAt: now });
    const first = await store.hit('k', MINUTE, now);
    expect(first).toEqual({ count: 1, resetAt: new Date(now.getTime() + MINUTE) });
    const hits = await Promise.all(
      Array.from({ length: 20 }, () => store.hit('k', MINUTE, new Date(now.getTime() + 1000))),
    );
    expect(Math.max(...hits.map((h) => h.count))).toBe(21);
    // Only the window the hit was counted in gives it back.
    await store.undo('k', new Date(now.getTime() + 2 * MINUTE));
    expect((await store.peek('k', new Date(now.getTime() + 2000))).count).toBe(21);
    await store.undo('k', first.resetAt);
    expect((await store.peek('k', new Date(now.getTime() + 2000))).count).toBe(20);
    await store.hit('k', MINUTE, new Date(now.getTime() + 2000));
    expect((await store.peek('k', new Date(now.getTime() + 2000))).count).toBe(21);
    const later = new Date(now.getTime() + MINUTE);
    expect((await store.peek('k', later)).count).toBe(0);
    expect(await store.hit('k', MINUTE, later)).toEqual({ count: 1, resetAt: new Date(later.getTime() + MINUTE) });
  });

  it('forgets counters by key and by prefix, and no others', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    for (const key of ['a:one', 'pair:acct:x', 'pair:acct:y', 'pair:other:x', 'a:two'])
      await store.hit(key, MINUTE, now);
    await store.forget(['a:one']);
    await store.forgetPrefixes(['pair:acct:']);
    const left = [];
    for (const key of ['a:one', 'pair:acct:x', 'pair:acct:y', 'pair:other:x', 'a:two'])
      if ((await store.peek(key, now)).count > 0) left.push(key);
    expect(left).toEqual(['pair:other:x', 'a:two']);
  });

  it('is what the app uses when REDIS_URL is set', async () => {
    // The app's counters live under its own prefix in a Redis that outlives the run (and may serve
    // other runs): the requests come, through a trusted proxy, from an address of this run's own.
    const t = await startTestApp({ env: { REDIS_URL: redisUrl!, TRUST_PROXY: '1' } });
    const network = [randomBytes(2), randomBytes(2)].map((bytes) => bytes.toString('hex')).join(':');
    const client = { 'X-Forwarded-For': `2001:db8:${network}::1` };
    try {
      expect(t.app.get(RateLimitStore)).toBeInstanceOf(RedisRateLimitStore);
      const email = uniqueEmail();
      await t.http.post('/auth/signup').set(client).send({ email, password: PASSWORD }).expect(201);
      await t.http.post('/auth/login').set(client).send({ email, password: 'Wrong-pw-1' }).expect(401);
      expect((await t.dataSource.query('SELECT count(*)::int AS n FROM rate_limits'))[0].n).toBe(0);
    } finally {
      await t.close();
    }
  });
});
