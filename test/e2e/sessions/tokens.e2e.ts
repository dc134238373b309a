import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { Cipher } from '../../../src/common/crypto';
import { TaskRunner } from '../../../src/tasks';
import { JWKS_MAX_AGE_SECONDS } from '../../../src/tokens/tokens.controller';
import { KEY_CACHE_MS, RETIRED_KEY_MARGIN_MS, SIGNING_KEY_LIFETIME_MS } from '../../../src/tokens/signing-keys.service';
import { TokensService } from '../../../src/tokens/tokens.service';
import { UsersService } from '../../../src/users/users.service';
import { ROTATION_GRACE_MS } from '../../../src/sessions/sessions.service';
import { createAdminKey } from '../../support/admin';
import { createTestDatabase } from '../../support/database';
import { assertBuilt, runNode } from '../../support/processes';
import { addMember } from '../../support/orgs';
import { startTestApp, TEST_ENCRYPTION_KEY, TestApp } from '../../support/test-app';
import { bearer, confirmPassword, createApiKey, enableTotp, logIn, signUp, signUpVerified } from '../../support/users';
import { totpCode } from '../../support/totp';

const loadJose = () => import('jose');

const AUDIENCE = 'https://api.product.test';
const TTL_SECONDS = 120;
const APP_URL = 'http://localhost:3000';

interface Claims extends Jose.JWTPayload {
  sid: string;
  email: string;
  email_verified: boolean;
  orgs: Record<string, string>;
  amr: string[];
  auth_time: number;
}

async function issue(t: TestApp, token: string): Promise<{ token: string; expiresAt: string }> {
  const res = await t.http.post('/auth/token').set(bearer(token)).expect(200);
  return res.body;
}

/** Verifies as the product's backend would: with the JWKS the app serves now, the issuer and the audience. */
async function verify(t: TestApp, jwt: string, audience = AUDIENCE) {
  const jose = await loadJose();
  const jwks = await t.http.get('/.well-known/jwks.json').expect(200);
  return jose.jwtVerify<Claims>(jwt, jose.createLocalJWKSet(jwks.body), {
    issuer: APP_URL,
    audience,
    algorithms: ['ES256'],
    currentDate: t.clock.now(),
  });
}

async function kidOf(jwt: string): Promise<string> {
  return (await loadJose()).decodeProtectedHeader(jwt).kid!;
}

async function publishedKids(t: TestApp): Promise<string[]> {
  const res = await t.http.get('/.well-known/jwks.json').expect(200);
  return res.body.keys.map((key: { kid: string }) => key.kid);
}

async function keyRows(t: TestApp): Promise<Array<{ kid: string; state: string; private_key: Buffer }>> {
  return t.dataSource.query('SELECT kid, state, private_key FROM signing_keys ORDER BY created_at, kid');
}

describe('access tokens for the product backend', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { ACCESS_TOKEN_AUDIENCE: AUDIENCE, ACCESS_TOKEN_TTL: `${TTL_SECONDS}s` } });
  });
  afterAll(() => t.close());

  it('signs every claim of the session, verifiable with the served JWKS', async () => {
    const user = await signUp(t);
    const issuedAt = Math.floor(t.clock.now().getTime() / 1000);
    const answer = await issue(t, user.token);
    const { payload, protectedHeader } = await verify(t, answer.token);

    expect(protectedHeader).toEqual({ alg: 'ES256', kid: expect.any(String), typ: 'JWT' });
    expect(await publishedKids(t)).toContain(protectedHeader.kid);
    expect(payload).toEqual({
      iss: APP_URL,
      aud: AUDIENCE,
      sub: user.id,
      sid: user.sessionId,
      email: user.email,
      email_verified: false,
      orgs: {},
      amr: ['pwd'],
      auth_time: issuedAt,
      iat: issuedAt,
      exp: issuedAt + TTL_SECONDS,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(answer.expiresAt).toBe(new Date((issuedAt + TTL_SECONDS) * 1000).toISOString());
    // Each token is its own: a new jti every time.
    const again = await verify(t, (await issue(t, user.token)).token);
    expect(again.payload.jti).not.toBe(payload.jti);
  });

  it('fails verification for another audience, another issuer, or once expired', async () => {
    const user = await signUp(t);
    const { token } = await issue(t, user.token);
    await expect(verify(t, token, APP_URL)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    const jose = await loadJose();
    const jwks = jose.createLocalJWKSet((await t.http.get('/.well-known/jwks.json')).body);
    await expect(
      jose.jwtVerify(token, jwks, { issuer: 'https://other.test', audience: AUDIENCE, currentDate: t.clock.now() }),
    ).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    t.clock.advance((TTL_SECONDS + 1) * 1000);
    await expect(verify(t, token)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('follows the account: verification, organizations and roles, address, confirmations', async () => {
    const owner = await signUpVerified(t);
    const member = await signUpVerified(t);
    const org = await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Acme' }).expect(201);
    await addMember(t, org.body.id, owner, member);

    let claims = (await verify(t, (await issue(t, member.token)).token)).payload;
    expect(claims).toMatchObject({ email_verified: true, orgs: { [org.body.id]: 'member' } });
    expect((await verify(t, (await issue(t, owner.token)).token)).payload.orgs).toEqual({ [org.body.id]: 'owner' });

    // A role change made by the owner: the member's next token carries it (their session rotates too).
    await t.http
      .patch(`/orgs/${org.body.id}/members/${member.id}`)
      .set(bearer(owner.token))
      .send({ role: 'admin' })
      .expect(200);
    const rotated = await t.http.get('/me').set(bearer(member.token)).expect(200);
    const memberToken = rotated.headers['x-session-token'] ?? member.token;
    claims = (await verify(t, (await issue(t, memberToken)).token)).payload;
    expect(claims.orgs).toEqual({ [org.body.id]: 'admin' });

    // A confirmation is an authentication: auth_time moves to it.
    t.clock.advance(60_000);
    const confirmed = await confirmPassword(t, memberToken);
    claims = (await verify(t, (await issue(t, confirmed)).token)).payload;
    expect(claims.auth_time).toBe(Math.floor(t.clock.now().getTime() / 1000));
    expect(claims.iat! - claims.auth_time).toBe(0);

    // An address change: the new address, unverified until its link is used.
    const newEmail = `moved-${Date.now()}@example.com`;
    await t.http.post('/me/email').set(bearer(confirmed)).send({ email: newEmail }).expect(200);
    claims = (await verify(t, (await issue(t, confirmed)).token)).payload;
    expect(claims).toMatchObject({ email: newEmail, email_verified: false });

    // Leaving the organization: gone from the next token.
    await t.http.delete(`/orgs/${org.body.id}/members/${member.id}`).set(bearer(owner.token)).expect(204);
    expect((await verify(t, (await issue(t, confirmed)).token)).payload.orgs).toEqual({});
  });

  it('gives a token a confirmation replaced none of what the confirmation proved', async () => {
    const user = await signUpVerified(t);
    const signedInAt = Math.floor(t.clock.now().getTime() / 1000);
    const { secret } = await enableTotp(t, user.token);
    t.clock.advance(10 * 60_000);
    const code = totpCode(secret, t.clock);
    const confirmed = await t.http.post('/auth/confirm').set(bearer(user.token)).send({ totpCode: code }).expect(200);
    const fresh = (await verify(t, (await issue(t, confirmed.body.session.token)).token)).payload;
    expect(fresh).toMatchObject({ auth_time: Math.floor(t.clock.now().getTime() / 1000), amr: ['otp', 'pwd'] });
    // The replaced token still serves its session for the grace, never as the confirmed one.
    const stale = (await verify(t, (await issue(t, user.token)).token)).payload;
    expect(stale).toMatchObject({ sid: user.sessionId, auth_time: signedInAt, amr: [] });
    const introspected = await t.app.get(TokensService).introspect(user.token);
    expect(introspected).toMatchObject({ active: true, auth_time: signedInAt });
  });

  it('never outlives the session it was issued for', async () => {
    const user = await signUp(t);
    // The session's absolute end is a minute away: a token ends with it, not TTL later.
    const sessionEnd = new Date(t.clock.now().getTime() + 60_000);
    await t.dataSource.query('UPDATE sessions SET expires_at = $2 WHERE id = $1', [user.sessionId, sessionEnd]);
    const answer = await issue(t, user.token);
    const { payload } = await verify(t, answer.token);
    expect(payload.exp).toBe(Math.floor(sessionEnd.getTime() / 1000));
    expect(answer.expiresAt).toBe(new Date(payload.exp! * 1000).toISOString());
  });

  it('refuses API keys, unknown sessions, bodies, and accounts scheduled for deletion', async () => {
    const user = await signUpVerified(t);
    const key = await createApiKey(t, user.token);
    const byKey = await t.http.post('/auth/token').set(bearer(key.key)).expect(403);
    expect(byKey.body).toMatchObject({ statusCode: 403, error: 'api_key_not_allowed' });
    await t.http.post('/auth/token').expect(401);
    await t.http.post('/auth/token').set(bearer('no-such-session')).expect(401);
    const withBody = await t.http.post('/auth/token').set(bearer(user.token)).send({ scope: 'x' }).expect(400);
    expect(withBody.body.error).toBe('validation_failed');

    await t.http.delete('/me').set(bearer(user.token)).expect(202);
    const pending = await t.http.post('/auth/token').set(bearer(user.token)).expect(403);
    expect(pending.body).toMatchObject({ error: 'account_pending_deletion', cancelUrl: '/me/deletion/cancel' });
    await t.http.post('/me/deletion/cancel').set(bearer(user.token)).expect(200);
    await issue(t, user.token);
  });

  it('serves only public halves, cacheable for a short while, and keeps private halves sealed', async () => {
    const res = await t.http.get('/.well-known/jwks.json').expect(200);
    expect(res.headers['cache-control']).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    for (const key of res.body.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    }
    const rows = await keyRows(t);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const cipher = new Cipher(Buffer.from(TEST_ENCRYPTION_KEY, 'base64'));
    for (const row of rows) {
      const text = row.private_key.toString('latin1');
      expect(text).not.toContain('"d"');
      expect(text).not.toContain('P-256');
      const jwk = JSON.parse(cipher.open(row.private_key, `signing-key:${row.kid}`).toString('utf8'));
      expect(text).not.toContain(jwk.d);
      const published = res.body.keys.find((key: { kid: string }) => key.kid === row.kid);
      if (published) expect({ x: jwk.x, y: jwk.y }).toEqual({ x: published.x, y: published.y });
      // Sealed to its kid: it does not open as another key's.
      expect(() => cipher.open(row.private_key, 'signing-key:another')).toThrow();
    }
  });

  it('rotates: the old token still verifies, new tokens carry the key published a rotation ahead', async () => {
    const user = await signUp(t);
    const before = await issue(t, user.token);
    const oldKid = await kidOf(before.token);
    const publishedBefore = await publishedKids(t);

    const outcome = await t.app.get(TaskRunner).run('rotate-signing-keys');
    expect(outcome).toMatchObject({ status: 'done', result: { rotated: true } });

    const after = await issue(t, user.token);
    const newKid = await kidOf(after.token);
    expect(newKid).not.toBe(oldKid);
    // The new key was in the JWKS before it signed anything: a verifier's cached copy knows it.
    expect(publishedBefore).toContain(newKid);
    const published = await publishedKids(t);
    expect(published).toEqual(expect.arrayContaining([oldKid, newKid]));
    expect(published).toHaveLength(3); // retired, current, and the new next key
    await expect(verify(t, before.token)).resolves.toMatchObject({ protectedHeader: { kid: oldKid } });
    await expect(verify(t, after.token)).resolves.toMatchObject({ protectedHeader: { kid: newKid } });
    expect((await t.dataSource.query(`SELECT action FROM audit_log WHERE action = 'signing_key.rotated'`)).length).toBe(
      1,
    );

    // Once no token of the retired key can be live, it leaves the JWKS, and the task deletes it.
    t.clock.advance(TTL_SECONDS * 1000 + RETIRED_KEY_MARGIN_MS + KEY_CACHE_MS);
    expect(await publishedKids(t)).not.toContain(oldKid);
    const purge = await t.app.get(TaskRunner).run('rotate-signing-keys', 'schedule');
    expect(purge).toMatchObject({ result: { rotated: false, deleted: 1, kid: newKid } });
    expect((await keyRows(t)).map((row) => row.kid)).not.toContain(oldKid);
  });

  it('rotates on schedule only once the key has signed for 30 days', async () => {
    const runner = t.app.get(TaskRunner);
    const kid = (await keyRows(t)).find((row) => row.state === 'current')!.kid;
    expect(await runner.run('rotate-signing-keys', 'schedule')).toMatchObject({ result: { rotated: false, kid } });
    t.clock.advance(SIGNING_KEY_LIFETIME_MS);
    const outcome = await runner.run('rotate-signing-keys', 'schedule');
    expect(outcome).toMatchObject({ result: { rotated: true } });
    expect(outcome.status === 'done' && outcome.result.kid).not.toBe(kid);
    expect(await runner.run('rotate-signing-keys', 'schedule')).toMatchObject({ result: { rotated: false } });
    const user = await signUp(t);
    expect(await kidOf((await issue(t, user.token)).token)).toBe(outcome.status === 'done' && outcome.result.kid);
  });
});

describe('signing keys across instances', () => {
  it('makes one key set when two instances need it at once; a rotation by one, or by the command line, holds for both at once', async () => {
    const database = await createTestDatabase();
    const a = await startTestApp({ database });
    const b = await startTestApp({ database });
    try {
      const user = await signUp(a);
      expect(await keyRows(a)).toEqual([]);
      const [fromA, fromB] = await Promise.all([issue(a, user.token), issue(b, user.token)]);
      const rows = await keyRows(a);
      expect(rows.map((row) => row.state).sort()).toEqual(['current', 'next']);
      const current = rows.find((row) => row.state === 'current')!.kid;
      expect(await kidOf(fromA.token)).toBe(current);
      expect(await kidOf(fromB.token)).toBe(current);

      await a.app.get(TaskRunner).run('rotate-signing-keys');
      const rotatedKid = (await keyRows(a)).find((row) => row.state === 'current')!.kid;
      expect(await kidOf((await issue(a, user.token)).token)).toBe(rotatedKid);
      // B's JWKS, read before the rotation, already holds the key that signs now (it was the next
      // one) and the retired one; the new next key shows once B's copy ages out.
      const newNext = (await keyRows(a)).find((row) => row.state === 'next')!.kid;
      expect(await publishedKids(b)).toEqual(expect.arrayContaining([current, rotatedKid]));
      expect(await publishedKids(b)).not.toContain(newNext);
      b.clock.advance(KEY_CACHE_MS);
      expect(await publishedKids(b)).toEqual(expect.arrayContaining([current, rotatedKid, newNext]));
      // B signs with the new key, and B's older token still verifies.
      expect(await kidOf((await issue(b, user.token)).token)).toBe(rotatedKid);
      await expect(verify(b, fromB.token, APP_URL)).resolves.toBeDefined();

      // `npm run task -- rotate-signing-keys`, beside the running servers: rotates at once, and the
      // next token either serves carries the new kid.
      assertBuilt();
      const run = await runNode('cli.js', ['task', 'rotate-signing-keys'], {
        DATABASE_URL: database.url,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        LOG_LEVEL: 'silent',
      });
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 'done', result: { rotated: true, kid: newNext } });
      expect(await kidOf((await issue(a, user.token)).token)).toBe(newNext);
      expect(await kidOf((await issue(b, user.token)).token)).toBe(newNext);
    } finally {
      await b.close();
      await a.close();
      await database.drop();
    }
  });
});

describe('introspection (RFC 7662)', () => {
  let t: TestApp;
  let tokens: TokensService;
  beforeAll(async () => {
    t = await startTestApp();
    tokens = t.app.get(TokensService);
  });
  afterAll(() => t.close());

  const lastActive = async (sessionId: string): Promise<string> =>
    (
      await t.dataSource.query('SELECT last_active_at FROM sessions WHERE id = $1', [sessionId])
    )[0].last_active_at.toISOString();

  it('answers a live session token with its subject, without touching the session', async () => {
    const owner = await signUpVerified(t);
    const org = await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Acme' }).expect(201);
    const activeBefore = await lastActive(owner.sessionId);
    t.clock.advance(t.config.sessionTouchIntervalMs + 1000);
    const answer = await tokens.introspect(owner.token);
    const now = t.clock.now().getTime();
    expect(answer).toEqual({
      active: true,
      sub: owner.id,
      sid: owner.sessionId,
      email: owner.email,
      email_verified: true,
      orgs: { [org.body.id]: 'owner' },
      exp: expect.any(Number),
      auth_time: expect.any(Number),
    });
    if (!answer.active) throw new Error('inactive');
    // exp: the idle timeout from the last activity (which asking did not move).
    expect(answer.exp! * 1000).toBeLessThanOrEqual(now + t.config.sessionIdleTimeoutMs);
    expect(answer.auth_time! * 1000).toBeLessThanOrEqual(now);
    expect(await lastActive(owner.sessionId)).toBe(activeBefore);
    // Asking over and over never keeps an unused session alive.
    t.clock.advance(t.config.sessionIdleTimeoutMs);
    expect(await tokens.introspect(owner.token)).toEqual({ active: false });
  });

  it('answers a user API key, with no session', async () => {
    const user = await signUpVerified(t);
    const key = await createApiKey(t, user.token);
    expect(await tokens.introspect(key.key)).toEqual({
      active: true,
      sub: user.id,
      sid: null,
      email: user.email,
      email_verified: true,
      orgs: {},
      exp: null,
      auth_time: null,
    });
    const [{ last_used_at: lastUsed }] = await t.dataSource.query('SELECT last_used_at FROM api_keys WHERE id = $1', [
      key.id,
    ]);
    expect(lastUsed).toBeNull();
    await t.http.delete(`/me/api-keys/${key.id}`).set(bearer(user.token)).expect(204);
    expect(await tokens.introspect(key.key)).toEqual({ active: false });
  });

  it('answers inactive for unknown, signed-out, rotated-away, locked and pending-deletion credentials', async () => {
    expect(await tokens.introspect('no-such-token')).toEqual({ active: false });
    expect(await tokens.introspect('ak_no-such-key')).toEqual({ active: false });

    const out = await signUp(t);
    await t.http.post('/auth/logout').set(bearer(out.token)).expect(204);
    expect(await tokens.introspect(out.token)).toEqual({ active: false });

    // A confirmation's rotation: the old token stays live for its grace, then not.
    const rotating = await signUp(t);
    const fresh = await confirmPassword(t, rotating.token);
    expect(await tokens.introspect(rotating.token)).toMatchObject({ active: true, sid: rotating.sessionId });
    expect(await tokens.introspect(fresh)).toMatchObject({ active: true, sid: rotating.sessionId });
    t.clock.advance(ROTATION_GRACE_MS + 1000);
    expect(await tokens.introspect(rotating.token)).toEqual({ active: false });
    expect(await tokens.introspect(fresh)).toMatchObject({ active: true });

    // A lock ends every session and key of the account at once.
    const locked = await signUpVerified(t);
    const key = await createApiKey(t, locked.token);
    const other = await logIn(t, locked.email);
    expect(await tokens.introspect(key.key)).toMatchObject({ active: true });
    await t.app.get(UsersService).setLock(locked.id, { reason: 'investigation' });
    expect(await tokens.introspect(locked.token)).toEqual({ active: false });
    expect(await tokens.introspect(other.token)).toEqual({ active: false });
    expect(await tokens.introspect(key.key)).toEqual({ active: false });
    // An unlock brings none of them back.
    await t.app.get(UsersService).setLock(locked.id, null);
    expect(await tokens.introspect(locked.token)).toEqual({ active: false });

    // Scheduled for deletion: the session lives for the grace-period routes, but is no one's to vouch for.
    const leaving = await signUpVerified(t);
    const leavingKey = await createApiKey(t, leaving.token);
    await t.http.delete('/me').set(bearer(leaving.token)).expect(202);
    expect(await tokens.introspect(leaving.token)).toEqual({ active: false });
    expect(await tokens.introspect(leavingKey.key)).toEqual({ active: false });
    await t.http.post('/me/deletion/cancel').set(bearer(leaving.token)).expect(200);
    expect(await tokens.introspect(leaving.token)).toMatchObject({ active: true });
  });

  describe('POST /auth/introspect', () => {
    const introspect = (key: string, body: object) => t.http.post('/auth/introspect').set(bearer(key)).send(body);

    it('answers an admin key with sessions:introspect, audited with the key as actor', async () => {
      const admin = await createAdminKey(t, 'sessions:introspect');
      const user = await signUpVerified(t);
      const res = await introspect(admin.key, { token: user.token }).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        active: true,
        sub: user.id,
        sid: user.sessionId,
        email: user.email,
        email_verified: true,
        orgs: {},
        exp: expect.any(Number),
        auth_time: expect.any(Number),
      });
      await introspect(admin.key, { token: 'unknown' }).expect(200, { active: false });
      const rows = await t.dataSource.query(
        `SELECT actor_id AS "actorId", details FROM audit_log WHERE action = 'admin.request' ORDER BY id`,
      );
      expect(rows.at(-1)).toEqual({
        actorId: null,
        details: expect.objectContaining({ adminKeyId: admin.id, route: '/auth/introspect', status: 200 }),
      });
      // The token asked about is in no audit row.
      const all = await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE details::text LIKE $1`, [
        `%${user.token}%`,
      ]);
      expect(all[0].n).toBe(0);
    });

    it('refuses no key, sessions, API keys, another scope, and bodies without a token', async () => {
      const user = await signUpVerified(t);
      const apiKey = await createApiKey(t, user.token);
      await t.http.post('/auth/introspect').send({ token: user.token }).expect(401);
      await introspect(user.token, { token: user.token }).expect(401);
      await introspect(apiKey.key, { token: apiKey.key }).expect(401);
      const reader = await createAdminKey(t, 'users:read,users:write,audit:read,webhooks:write');
      const refused = await introspect(reader.key, { token: user.token }).expect(403);
      expect(refused.body).toMatchObject({ statusCode: 403, error: 'insufficient_scope' });
      const admin = await createAdminKey(t, 'sessions:introspect');
      const missing = await introspect(admin.key, {}).expect(400);
      expect(missing.body.error).toBe('validation_failed');
      await introspect(admin.key, { token: user.token, extra: 1 }).expect(400);
    });

    it('follows a sign-out, an operator lock and an API key over HTTP', async () => {
      const admin = await createAdminKey(t, 'sessions:introspect,users:write');
      const user = await signUpVerified(t);
      const key = await createApiKey(t, user.token);
      const other = await logIn(t, user.email);
      await introspect(admin.key, { token: key.key }).expect(200, {
        active: true,
        sub: user.id,
        sid: null,
        email: user.email,
        email_verified: true,
        orgs: {},
        exp: null,
        auth_time: null,
      });
      await t.http.post('/auth/logout').set(bearer(other.token)).expect(204);
      await introspect(admin.key, { token: other.token }).expect(200, { active: false });
      await introspect(admin.key, { token: user.token }).expect(200);
      await t.http.post(`/admin/users/${user.id}/lock`).set(bearer(admin.key)).send({ reason: 'fraud' }).expect(200);
      for (const token of [user.token, key.key]) {
        await introspect(admin.key, { token }).expect(200, { active: false });
      }
    });
  });
});
