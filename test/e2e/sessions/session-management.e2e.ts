import { MailDelivery } from '../../../src/mail';
import { MAX_SESSIONS_PER_USER } from '../../../src/sessions/sessions.service';
import { startTestApp, TestApp } from '../../support/test-app';
import { addMember } from '../../support/orgs';
import { bearer, PASSWORD, signUp, signUpVerified, expectReplacedToken } from '../../support/users';

const MINUTE = 60_000;
const MAC_CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

describe('session management', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Behind one trusted proxy, so each test can sign in "from" any address.
    t = await startTestApp({ env: { TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());

  const loginFrom = (email: string, ip: string, userAgent = MAC_CHROME) =>
    t.http
      .post('/auth/login')
      .set('X-Forwarded-For', ip)
      .set('User-Agent', userAgent)
      .send({ email, password: PASSWORD });

  it('lists live sessions with device names and addresses, newest activity first', async () => {
    const user = await signUp(t);
    t.clock.advance(MINUTE);
    const mac = await loginFrom(user.email, '198.51.100.1', MAC_CHROME).expect(200);
    t.clock.advance(MINUTE);
    const phone = await loginFrom(user.email, '198.51.100.2', IPHONE_SAFARI).expect(200);
    t.clock.advance(MINUTE);
    const res = await t.http.get('/me/sessions').set(bearer(phone.body.session.token)).expect(200);
    expect(res.body.map((s: { id: string }) => s.id)).toEqual([
      phone.body.session.id,
      mac.body.session.id,
      user.sessionId,
    ]);
    expect(res.body[0]).toEqual({
      id: phone.body.session.id,
      current: true,
      ip: '198.51.100.2',
      userAgent: IPHONE_SAFARI,
      deviceName: 'Safari on iPhone',
      authMethod: 'password',
      createdAt: expect.any(String),
      lastActiveAt: expect.any(String),
      expiresAt: expect.any(String),
      reauthenticatedAt: expect.any(String),
    });
    expect(res.body[1]).toMatchObject({ current: false, ip: '198.51.100.1', deviceName: 'Chrome on macOS' });
  });

  it('never lists revoked or expired sessions', async () => {
    const user = await signUp(t);
    const revoked = await loginFrom(user.email, '198.51.100.3').expect(200);
    await t.http.post('/auth/logout').set(bearer(revoked.body.session.token)).expect(204);
    const idle = await loginFrom(user.email, '198.51.100.3').expect(200);
    t.clock.advance(20 * MINUTE);
    const live = await loginFrom(user.email, '198.51.100.3').expect(200);
    t.clock.advance(15 * MINUTE);
    const ids = (await t.http.get('/me/sessions').set(bearer(live.body.session.token)).expect(200)).body.map(
      (s: { id: string }) => s.id,
    );
    expect(ids).toEqual([live.body.session.id]);
    expect(ids).not.toContain(idle.body.session.id);
  });

  it('revokes one of the caller’s sessions; another user’s id answers 404 and changes nothing', async () => {
    const alice = await signUp(t);
    const bob = await signUp(t);
    const alicePhone = await loginFrom(alice.email, '198.51.100.4').expect(200);
    const idor = await t.http.delete(`/me/sessions/${alicePhone.body.session.id}`).set(bearer(bob.token)).expect(404);
    expect(idor.body.error).toBe('not_found');
    await t.http.get('/me').set(bearer(alicePhone.body.session.token)).expect(200);
    await t.http.delete('/me/sessions/not-a-uuid').set(bearer(bob.token)).expect(404);

    await t.http.delete(`/me/sessions/${alicePhone.body.session.id}`).set(bearer(alice.token)).expect(204);
    expect((await t.http.get('/me').set(bearer(alicePhone.body.session.token)).expect(401)).body.reason).toBe(
      'revoked',
    );
    await t.http.delete(`/me/sessions/${alicePhone.body.session.id}`).set(bearer(alice.token)).expect(404);
  });

  it('revoking the current session is a logout', async () => {
    const user = await signUp(t);
    const res = await t.http.delete(`/me/sessions/${user.sessionId}`).set(bearer(user.token)).expect(204);
    expect(([] as string[]).concat(res.headers['set-cookie'])[0]).toMatch(/^sid=;/);
    await t.http.get('/me').set(bearer(user.token)).expect(401);
  });

  it('signs out everywhere else and says how many', async () => {
    const user = await signUp(t);
    const others = [];
    for (let i = 0; i < 3; i++)
      others.push((await loginFrom(user.email, '198.51.100.5').expect(200)).body.session.token);
    // Like every route, one without a body refuses fields, and does nothing then.
    await t.http.delete('/me/sessions').set(bearer(user.token)).send({ all: true }).expect(400);
    const res = await t.http.delete('/me/sessions').set(bearer(user.token)).expect(200);
    expect(res.body).toEqual({ revoked: 3 });
    for (const token of others) await t.http.get('/me').set(bearer(token)).expect(401);
    await t.http.get('/me').set(bearer(user.token)).expect(200);
    expect((await t.http.delete('/me/sessions').set(bearer(user.token)).expect(200)).body).toEqual({ revoked: 0 });
  });

  it('mails "New sign-in" once for an address never seen, never for the signup address or a known one', async () => {
    const signup = await t.http
      .post('/auth/signup')
      .set('X-Forwarded-For', '203.0.113.10')
      .send({ email: `newip-${Date.now()}@example.com`, password: PASSWORD })
      .expect(201);
    const email = signup.body.user.email;
    const newSignIns = () => t.mail.messages.filter((m) => m.to === email && m.subject.includes('New sign-in'));

    await loginFrom(email, '203.0.113.10').expect(200);
    await loginFrom(email, '203.0.113.99', IPHONE_SAFARI).expect(200);
    await loginFrom(email, '203.0.113.99').expect(200);
    await loginFrom(email, '203.0.113.10').expect(200);
    const [mail] = await t.mail.waitFor((m) => m.to === email && m.subject.includes('New sign-in'));
    // Give a second mail every chance to arrive before counting.
    await t.app.get(MailDelivery).deliverDue();
    expect(newSignIns()).toHaveLength(1);
    expect(mail.text).toContain('203.0.113.99');
    expect(mail.text).toContain('Safari on iPhone');
    expect(mail.text).toContain(t.clock.now().toUTCString());
    expect(mail.text).toContain('http://localhost:3000/settings/sessions');
  });

  it(`keeps at most ${MAX_SESSIONS_PER_USER} live sessions per user, revoking the oldest`, async () => {
    const user = await signUp(t);
    for (let i = 0; i < MAX_SESSIONS_PER_USER; i++) {
      t.clock.advance(1000);
      await loginFrom(user.email, `192.0.2.${i % 2}`).expect(200);
    }
    const live = await t.dataSource.query(
      'SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
      [user.id],
    );
    expect(live[0].n).toBe(MAX_SESSIONS_PER_USER);
    expect((await t.http.get('/me').set(bearer(user.token)).expect(401)).body.reason).toBe('revoked');
  });

  describe('rotation after privilege changes', () => {
    it('POST /me/password: the current session rotated (the old token dead at once), every other one revoked, a mail', async () => {
      const user = await signUp(t);
      const other = await loginFrom(user.email, '198.51.100.6').expect(200);
      const newPassword = 'Another-Strong-Passphrase-9';
      const res = await t.http.post('/me/password').set(bearer(user.token)).send({ newPassword }).expect(200);
      const { token } = res.body.session;
      expect(res.body.session.id).toBe(user.sessionId);
      expect(res.headers['x-session-token']).toBe(token);
      expect(([] as string[]).concat(res.headers['set-cookie'])[0]).toMatch(new RegExp(`^sid=${token};`));

      // No rotation grace after a password change: whoever held the old token is out, now.
      const replaced = await t.http.get('/me').set(bearer(user.token)).expect(401);
      expect(replaced.body).toMatchObject({ error: 'session_expired', reason: 'rotated' });
      await t.http.get('/orgs').set(bearer(user.token)).expect(401);
      expect((await t.http.get('/me').set(bearer(other.body.session.token)).expect(401)).body.reason).toBe('revoked');
      await t.http.get('/me').set(bearer(token)).expect(200);
      await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('password was changed'));
      await t.http.post('/auth/login').send({ email: user.email, password: newPassword }).expect(200);
      await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    });

    it('POST /me/password sent several times at once with one token: one change and one working token', async () => {
      const user = await signUp(t);
      const passwords = ['First-Racing-Passphrase-1', 'Second-Racing-Passphrase-2', 'Third-Racing-Passphrase-3'];
      const answers = await Promise.all(
        passwords.map((newPassword) => t.http.post('/me/password').set(bearer(user.token)).send({ newPassword })),
      );
      expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
      const winner = answers.findIndex((r) => r.status === 200);
      // A loser that read the session before the winner committed finds its token replaced (409); one
      // that reads it after finds the token dead at once, since a password change leaves no grace (401).
      for (const res of answers.filter((r) => r.status !== 200)) {
        expect([
          { status: 409, error: 'session_rotated' },
          { status: 401, error: 'session_expired', reason: 'rotated' },
        ]).toContainEqual({ status: res.status, error: res.body.error, reason: res.body.reason });
      }
      await t.http.get('/me').set(bearer(answers[winner].body.session.token)).expect(200);
      // The losers changed nothing: only the winner's password signs in.
      for (const [i, password] of passwords.entries()) {
        await t.http
          .post('/auth/login')
          .send({ email: user.email, password })
          .expect(i === winner ? 200 : 401);
      }
    });

    it('POST /me/password needs step-up and a strong password', async () => {
      const user = await signUp(t);
      expect(
        (await t.http.post('/me/password').set(bearer(user.token)).send({ newPassword: 'password1' }).expect(400)).body
          .error,
      ).toBe('weak_password');
      t.clock.advance(6 * MINUTE);
      expect(
        (
          await t.http
            .post('/me/password')
            .set(bearer(user.token))
            .send({ newPassword: 'Another-Strong-Passphrase-9' })
            .expect(403)
        ).body.error,
      ).toBe('step_up_required');
    });

    it('a role change by an admin rotates each of the member’s sessions on its next request', async () => {
      const owner = await signUpVerified(t);
      const member = await signUpVerified(t);
      const memberPhone = await loginFrom(member.email, '198.51.100.7').expect(200);
      const org = await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Rotors' }).expect(201);
      await addMember(t, org.body.id, owner, member);
      // Joining does not rotate; a role change does.
      await t.http.get('/me').set(bearer(member.token)).expect(200);
      await t.http
        .patch(`/orgs/${org.body.id}/members/${member.id}`)
        .set(bearer(owner.token))
        .send({ role: 'admin' })
        .expect(200);

      const next = await t.http.get('/me').set(bearer(member.token)).expect(200);
      const rotated = next.headers['x-session-token'];
      expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(([] as string[]).concat(next.headers['set-cookie'])[0]).toMatch(new RegExp(`^sid=${rotated};`));
      await expectReplacedToken(t, member.token);
      const after = await t.http.get('/me').set(bearer(rotated)).expect(200);
      expect(after.headers['x-session-token']).toBeUndefined();

      // The other device rotates on its own next request.
      const phoneNext = await t.http.get('/orgs').set(bearer(memberPhone.body.session.token)).expect(200);
      expect(phoneNext.headers['x-session-token']).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(phoneNext.body).toEqual([{ id: org.body.id, name: 'Rotors', role: 'admin' }]);
      // The owner who made the change keeps their token.
      const ownerNext = await t.http.get('/me').set(bearer(owner.token)).expect(200);
      expect(ownerNext.headers['x-session-token']).toBeUndefined();
    });
  });

  it('is closed to API keys', async () => {
    const user = await signUpVerified(t);
    const key = await t.http.post('/me/api-keys').set(bearer(user.token)).send({ name: 'k' }).expect(201);
    for (const [method, path] of [
      ['get', '/me/sessions'],
      ['delete', '/me/sessions'],
      ['delete', `/me/sessions/${user.sessionId}`],
      ['post', '/me/password'],
    ] as const) {
      expect((await t.http[method](path).set(bearer(key.body.key)).send({})).body.error).toBe('api_key_not_allowed');
    }
  });
});
