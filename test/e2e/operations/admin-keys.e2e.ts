import { AdminKeysService } from '../../../src/admin/admin-keys.service';
import { assertBuilt, runNode } from '../../support/processes';
import { ALL_ADMIN_SCOPES, createAdminKey, TestAdminKey } from '../../support/admin';
import { startTestApp, TEST_ENCRYPTION_KEY, TestApp } from '../../support/test-app';
import { bearer, createApiKey, signUpVerified } from '../../support/users';

/** The operators' keys: made on the command line, accepted on the admin routes alone, every call audited. */
describe('admin keys', () => {
  let t: TestApp;
  let writer: TestAdminKey;

  beforeAll(async () => {
    t = await startTestApp();
    writer = await createAdminKey(t, 'users:read,users:write');
  });
  afterAll(() => t.close());

  const auditRows = (action: string) =>
    t.dataSource.query(
      `SELECT actor_id AS "actorId", actor_email AS "actorEmail", target, details FROM audit_log
        WHERE action = $1 ORDER BY id`,
      [action],
    ) as Promise<
      Array<{
        actorId: string | null;
        actorEmail: string | null;
        target: string | null;
        details: Record<string, unknown>;
      }>
    >;

  describe('on the command line', () => {
    beforeAll(() => assertBuilt());
    const cli = (...args: string[]) =>
      runNode('cli.js', ['admin', ...args], {
        DATABASE_URL: t.database.url,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        LOG_LEVEL: 'silent',
      });

    it('makes a key (printed once, stored hashed), lists it and revokes it', async () => {
      const created = await cli('keys:create', '--name', 'on-call', '--scopes', 'audit:read,users:write');
      expect(created.code).toBe(0);
      const key = JSON.parse(created.stdout);
      expect(key).toEqual({
        id: expect.any(String),
        name: 'on-call',
        prefix: key.key.slice(0, 10),
        scopes: ['users:write', 'audit:read'],
        key: expect.stringMatching(/^adm_[A-Za-z0-9_-]{43}$/),
        createdAt: expect.any(String),
      });
      expect(created.stderr).toContain('shown this once');
      const [stored] = await t.dataSource.query('SELECT key_hash FROM admin_keys WHERE id = $1', [key.id]);
      expect(stored.key_hash.toString('hex')).not.toContain(Buffer.from(key.key).toString('hex'));
      const user = await signUpVerified(t);
      await t.http.delete(`/admin/users/${user.id}/sessions`).set(bearer(key.key)).expect(200, { revoked: 1 });

      const listed = await cli('keys:list');
      expect(listed.code).toBe(0);
      expect(listed.stdout).not.toContain(key.key);
      const entry = JSON.parse(listed.stdout).find((k: { id: string }) => k.id === key.id);
      expect(entry).toMatchObject({ name: 'on-call', scopes: ['users:write', 'audit:read'], revokedAt: null });
      expect(entry.keyHash).toBeUndefined();

      const revoked = await cli('keys:revoke', key.id);
      expect(revoked.code).toBe(0);
      expect(JSON.parse(revoked.stdout)).toEqual({ revoked: key.id });
      const after = JSON.parse((await cli('keys:list')).stdout).find((k: { id: string }) => k.id === key.id);
      expect(after.revokedAt).toEqual(expect.any(String));
      expect((await auditRows('admin_key.created')).map((row) => row.target)).toContain(`admin_key:${key.id}`);
      expect((await auditRows('admin_key.revoked')).map((row) => row.target)).toContain(`admin_key:${key.id}`);

      // Revoking twice names the problem.
      const again = await cli('keys:revoke', key.id);
      expect(again.code).not.toBe(0);
      expect(again.stderr.trim()).toBe(`no live admin key has the id "${key.id}"`);
    });

    it('refuses an unknown scope, a missing name or scopes, and a stray argument: one line, no key made', async () => {
      const before = (await t.dataSource.query('SELECT count(*)::int AS n FROM admin_keys'))[0].n;
      const unknown = await cli('keys:create', '--name', 'x', '--scopes', 'users:read,users:delete');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr.trim().split('\n')).toEqual([`unknown scope "users:delete"; known: ${ALL_ADMIN_SCOPES}`]);
      const noName = await cli('keys:create', '--scopes', 'users:read');
      expect(noName.code).toBe(2);
      expect(noName.stderr.trim()).toMatch(/^name the key \(--name/);
      const blankName = await cli('keys:create', '--name', '  ', '--scopes', 'users:read');
      expect(blankName.code).toBe(2);
      const noScopes = await cli('keys:create', '--name', 'x');
      expect(noScopes.code).toBe(2);
      expect(noScopes.stderr.trim()).toMatch(/^give the key's scopes/);
      const stray = await cli('keys:create', '--name', 'x', '--scopes', 'users:read', '--admin');
      expect(stray.code).toBe(2);
      expect(stray.stderr.split('\n')[0]).toBe('unknown option --admin for admin keys:create');
      const unknownCommand = await cli('keys:rotate');
      expect(unknownCommand.code).toBe(2);
      expect(unknownCommand.stderr.split('\n')[0]).toBe('unknown admin command "keys:rotate"');
      const garbageId = await cli('keys:revoke', 'not-an-id');
      expect(garbageId.code).toBe(1);
      expect((await t.dataSource.query('SELECT count(*)::int AS n FROM admin_keys'))[0].n).toBe(before);
    });
  });

  describe('over HTTP', () => {
    it('opens an admin route to a key holding its scope; the call is audited with the key as actor', async () => {
      const user = await signUpVerified(t);
      const res = await t.http
        .post(`/admin/users/${user.id}/lock`)
        .set(bearer(writer.key))
        .set('User-Agent', 'ops-console')
        .send({ reason: 'fraud report' })
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ id: user.id, email: user.email, lockedAt: expect.any(String) });
      const [call] = (await auditRows('admin.request')).filter((row) => row.target === `user:${user.id}`);
      expect(call).toEqual({
        actorId: null,
        actorEmail: null,
        target: `user:${user.id}`,
        details: { adminKeyId: writer.id, method: 'POST', route: '/admin/users/:id/lock', status: 200 },
      });
      const [locked] = (await auditRows('user.locked')).filter((row) => row.target === `user:${user.id}`);
      expect(locked).toMatchObject({ actorId: null, details: { adminKeyId: writer.id, reason: 'fraud report' } });
    });

    it('audits a failed call with its status', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      await t.http.post(`/admin/users/${missing}/unlock`).set(bearer(writer.key)).expect(404);
      const [call] = (await auditRows('admin.request')).filter((row) => row.target === `user:${missing}`);
      expect(call.details).toEqual({
        adminKeyId: writer.id,
        method: 'POST',
        route: '/admin/users/:id/unlock',
        status: 404,
      });
    });

    it('answers 403 insufficient_scope to a key without the scope, and audits the refusal', async () => {
      const reader = await createAdminKey(t, 'users:read');
      const user = await signUpVerified(t);
      const res = await t.http
        .post(`/admin/users/${user.id}/lock`)
        .set(bearer(reader.key))
        .send({ reason: 'x' })
        .expect(403);
      expect(res.body).toMatchObject({ statusCode: 403, error: 'insufficient_scope', scope: 'users:write' });
      expect(
        (await t.dataSource.query('SELECT locked_at FROM users WHERE id = $1', [user.id]))[0].locked_at,
      ).toBeNull();
      const [refused] = (await auditRows('admin.request_refused')).filter((row) => row.target === `user:${user.id}`);
      expect(refused.details).toEqual({
        adminKeyId: reader.id,
        method: 'POST',
        route: '/admin/users/:id/lock',
        scope: 'users:write',
      });
    });

    it('accepts nothing but an admin key on an admin route: 401 for none, a session, a cookie, an API key', async () => {
      const operator = await signUpVerified(t);
      const apiKey = await createApiKey(t, operator.token);
      const target = await signUpVerified(t);
      const lock = () => t.http.post(`/admin/users/${target.id}/lock`).send({ reason: 'x' });
      for (const res of [
        await lock(),
        await lock().set(bearer(operator.token)),
        await lock().set('Cookie', operator.cookie).set('Origin', t.config.appUrl),
        await lock().set(bearer(apiKey.key)),
        await lock().set(bearer(`adm_${'A'.repeat(43)}`)),
        await lock().set(bearer(`${writer.key}x`)),
      ]) {
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('unauthenticated');
      }
      expect(
        (await t.dataSource.query('SELECT locked_at FROM users WHERE id = $1', [target.id]))[0].locked_at,
      ).toBeNull();
    });

    it('is refused everywhere else with 401, public routes included', async () => {
      const user = await signUpVerified(t);
      for (const res of [
        await t.http.get('/me').set(bearer(writer.key)),
        await t.http.get('/me/sessions').set(bearer(writer.key)),
        await t.http.post('/auth/logout').set(bearer(writer.key)),
        await t.http.get('/health').set(bearer(writer.key)),
        await t.http.post('/auth/login').set(bearer(writer.key)).send({ email: user.email, password: 'whatever-1' }),
      ]) {
        expect(res.status).toBe(401);
        expect(res.body.error).toBe('unauthenticated');
      }
      // The user's own credentials still work beside it.
      await t.http.get('/me').set(bearer(user.token)).expect(200);
    });

    it('stops working the moment it is revoked', async () => {
      const key = await createAdminKey(t, ALL_ADMIN_SCOPES);
      const user = await signUpVerified(t);
      await t.http.delete(`/admin/users/${user.id}/sessions`).set(bearer(key.key)).expect(200);
      await t.dataSource.query('UPDATE admin_keys SET last_used_at = NULL WHERE id = $1', [key.id]);
      await t.http.delete(`/admin/users/${user.id}/sessions`).set(bearer(key.key)).expect(200);
      const [used] = await t.dataSource.query('SELECT last_used_at FROM admin_keys WHERE id = $1', [key.id]);
      expect(used.last_used_at).toEqual(t.clock.now());
      await t.app.get(AdminKeysService).revoke(key.id);
      const res = await t.http.delete(`/admin/users/${user.id}/sessions`).set(bearer(key.key)).expect(401);
      expect(res.body.error).toBe('unauthenticated');
    });
  });
});
