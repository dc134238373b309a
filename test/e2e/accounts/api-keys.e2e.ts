import { hashToken } from '../../../src/common/crypto';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, createApiKey, signUpVerified } from '../../support/users';

describe('API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('creates a key shown once, lists it without the key, and stores only its hash', async () => {
    const user = await signUpVerified(t);
    const created = await t.http.post('/me/api-keys').set(bearer(user.token)).send({ name: 'deploy bot' }).expect(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'deploy bot',
      prefix: created.body.key.slice(0, 9),
      key: expect.stringMatching(/^ak_[A-Za-z0-9_-]{43}$/),
      createdAt: expect.any(String),
    });
    const list = await t.http.get('/me/api-keys').set(bearer(user.token)).expect(200);
    expect(list.body).toEqual([
      {
        id: created.body.id,
        name: 'deploy bot',
        prefix: created.body.prefix,
        createdAt: created.body.createdAt,
        lastUsedAt: null,
      },
    ]);
    const [row] = await t.dataSource.query('SELECT * FROM api_keys WHERE id = $1', [created.body.id]);
    expect(row.key_hash.equals(hashToken(created.body.key))).toBe(true);
    expect(JSON.stringify(row)).not.toContain(created.body.key);
  });

  it('authenticates as its owner where keys are allowed, and records its use at most once a minute', async () => {
    const user = await signUpVerified(t);
    const { body } = await t.http.post('/me/api-keys').set(bearer(user.token)).send({ name: 'k' }).expect(201);
    const me = await t.http.get('/me').set(bearer(body.key)).expect(200);
    expect(me.body.id).toBe(user.id);
    await t.http.get('/orgs').set(bearer(body.key)).expect(200);
    const firstUse = (await t.dataSource.query('SELECT last_used_at FROM api_keys WHERE id = $1', [body.id]))[0]
      .last_used_at;
    expect(firstUse).toEqual(t.clock.now());
    t.clock.advance(30_000);
    await t.http.get('/me').set(bearer(body.key)).expect(200);
    expect(
      (await t.dataSource.query('SELECT last_used_at FROM api_keys WHERE id = $1', [body.id]))[0].last_used_at,
    ).toEqual(firstUse);
    t.clock.advance(31_000);
    await t.http.get('/me').set(bearer(body.key)).expect(200);
    expect(
      (await t.dataSource.query('SELECT last_used_at FROM api_keys WHERE id = $1', [body.id]))[0].last_used_at,
    ).toEqual(t.clock.now());
  });

  it('answers 403 api_key_not_allowed where only a session will do, and never satisfies step-up', async () => {
    const user = await signUpVerified(t);
    const { body } = await t.http.post('/me/api-keys').set(bearer(user.token)).send({ name: 'k' }).expect(201);
    const sessionOnly: Array<['get' | 'post' | 'delete', string, object?]> = [
      ['get', '/me/api-keys'],
      ['post', '/me/api-keys', { name: 'more' }],
      ['delete', `/me/api-keys/${body.id}`],
      ['post', '/auth/confirm', { password: 'x' }],
      ['post', '/auth/logout'],
      ['post', '/me/2fa/totp/setup'],
      ['delete', '/me/2fa/totp'],
    ];
    for (const [method, path, payload] of sessionOnly) {
      const res = await t.http[method](path)
        .set(bearer(body.key))
        .send(payload ?? {});
      expect({ path, status: res.status, error: res.body.error }).toEqual({
        path,
        status: 403,
        error: 'api_key_not_allowed',
      });
    }
  });

  it('revokes: 204 for the owner, 404 for anyone else, and the key stops working', async () => {
    const owner = await signUpVerified(t);
    const other = await signUpVerified(t);
    const { body } = await t.http.post('/me/api-keys').set(bearer(owner.token)).send({ name: 'k' }).expect(201);
    expect((await t.http.delete(`/me/api-keys/${body.id}`).set(bearer(other.token)).expect(404)).body.error).toBe(
      'not_found',
    );
    await t.http.get('/me').set(bearer(body.key)).expect(200);
    await t.http.delete(`/me/api-keys/${body.id}`).set(bearer(owner.token)).expect(204);
    expect((await t.http.get('/me').set(bearer(body.key)).expect(401)).body.error).toBe('unauthenticated');
    await t.http.delete(`/me/api-keys/${body.id}`).set(bearer(owner.token)).expect(404);
    await t.http.delete('/me/api-keys/not-a-uuid').set(bearer(owner.token)).expect(404);
  });

  it('refuses an unknown key, and audits creation and revocation', async () => {
    expect(
      (
        await t.http
          .get('/me')
          .set(bearer(`ak_${'x'.repeat(43)}`))
          .expect(401)
      ).body.error,
    ).toBe('unauthenticated');
    const user = await signUpVerified(t);
    const { body } = await t.http.post('/me/api-keys').set(bearer(user.token)).send({ name: 'k' }).expect(201);
    await t.http.delete(`/me/api-keys/${body.id}`).set(bearer(user.token)).expect(204);
    const rows = await t.dataSource.query(
      `SELECT action, target FROM audit_log WHERE actor_id = $1 AND action LIKE 'api_key.%' ORDER BY id`,
      [user.id],
    );
    expect(rows).toEqual([
      { action: 'api_key.created', target: `api_key:${body.id}` },
      { action: 'api_key.revoked', target: `api_key:${body.id}` },
    ]);
  });

  describe('and password changes', () => {
    const NEW_PASSWORD = 'Another-Strong-Passphrase-9';

    it('keeps the keys through POST /me/password unless the change asks to revoke them, audited', async () => {
      const user = await signUpVerified(t);
      const keys = [await createApiKey(t, user.token, 'one'), await createApiKey(t, user.token, 'two')];
      const other = await signUpVerified(t);
      const othersKey = await createApiKey(t, other.token);
      // By default the keys stay: their owner is the one changing the password.
      const kept = await t.http
        .post('/me/password')
        .set(bearer(user.token))
        .send({ newPassword: NEW_PASSWORD })
        .expect(200);
      for (const key of keys) await t.http.get('/me').set(bearer(key.key)).expect(200);
      const wrongType = await t.http
        .post('/me/password')
        .set(bearer(kept.body.session.token))
        .send({ newPassword: 'Yet-Another-Passphrase-10', revokeApiKeys: 'yes' })
        .expect(400);
      expect(wrongType.body).toMatchObject({
        error: 'validation_failed',
        details: [expect.objectContaining({ field: 'revokeApiKeys' })],
      });
      const res = await t.http
        .post('/me/password')
        .set(bearer(kept.body.session.token))
        .send({ newPassword: 'Yet-Another-Passphrase-10', revokeApiKeys: true })
        .expect(200);
      for (const key of keys) {
        expect((await t.http.get('/me').set(bearer(key.key)).expect(401)).body.error).toBe('unauthenticated');
      }
      await t.http.get('/me').set(bearer(othersKey.key)).expect(200);
      expect((await t.http.get('/me/api-keys').set(bearer(res.body.session.token)).expect(200)).body).toEqual([]);
      const rows = await t.dataSource.query(
        `SELECT target, details FROM audit_log WHERE action = 'api_key.revoked_all' AND actor_id = $1`,
        [user.id],
      );
      expect(rows).toEqual([{ target: `user:${user.id}`, details: { revoked: 2, reason: 'password_changed' } }]);
    });
  });
});
