import { ROTATION_GRACE_MS } from '../../src/sessions/sessions.service';
import { TestApp } from './test-app';
import { totpCode } from './totp';

export const PASSWORD = 'Correct-Horse-Battery-42';

export interface SignedUp {
  id: string;
  email: string;
  token: string;
  sessionId: string;
  /** The Set-Cookie header of the signup answer. */
  cookie: string;
}

let counter = 0;

export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}-${Date.now().toString(36)}@example.com`;
}

export async function signUp(t: TestApp, email = uniqueEmail(), password = PASSWORD, name?: string): Promise<SignedUp> {
  const res = await t.http
    .post('/auth/signup')
    .send({ email, password, ...(name ? { name } : {}) })
    .expect(201);
  const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return {
    id: res.body.user.id,
    email: res.body.user.email,
    token: res.body.session.token,
    sessionId: res.body.session.id,
    cookie: setCookie.find((c) => c.startsWith('sid=')) ?? '',
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * Re-authenticates with the password (and, for a two-factor account, an authenticator or recovery
 * code); answers the rotated token.
 */
export async function confirmPassword(
  t: TestApp,
  token: string,
  password = PASSWORD,
  totpCode?: string,
): Promise<string> {
  const res = await t.http
    .post('/auth/confirm')
    .set(bearer(token))
    .send({ password, ...(totpCode !== undefined ? { totpCode } : {}) })
    .expect(200);
  return res.body.session.token;
}

/** The token of the newest verification link mailed to `email` (and forgets that mail). */
export async function verificationToken(t: TestApp, email: string): Promise<string> {
  const mails = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Verify'));
  const mail = mails[mails.length - 1];
  t.mail.messages.splice(t.mail.messages.indexOf(mail), 1);
  const link = /http:\/\/localhost:3000\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!link) throw new Error(`no verification link in: ${mail.text}`);
  return link[1];
}

/** Signs up and verifies the address through the mailed link. */
export async function signUpVerified(
  t: TestApp,
  email = uniqueEmail(),
  password = PASSWORD,
  name?: string,
): Promise<SignedUp> {
  const user = await signUp(t, email, password, name);
  await t.http
    .post('/auth/verify-email')
    .send({ token: await verificationToken(t, user.email) })
    .expect(200);
  return user;
}

export interface LoggedIn {
  token: string;
  sessionId: string;
  /** The `user` of the login answer. */
  user: Record<string, unknown>;
}

/** Signs in with the password (and a TOTP or recovery code when given); answers the new session. */
export async function logIn(
  t: TestApp,
  email: string,
  options: { password?: string; totpCode?: string; headers?: Record<string, string> } = {},
): Promise<LoggedIn> {
  const res = await t.http
    .post('/auth/login')
    .set(options.headers ?? {})
    .send({
      email,
      password: options.password ?? PASSWORD,
      ...(options.totpCode !== undefined ? { totpCode: options.totpCode } : {}),
    })
    .expect(200);
  return { token: res.body.session.token, sessionId: res.body.session.id, user: res.body.user };
}

export interface CreatedApiKey {
  id: string;
  name: string;
  prefix: string;
  key: string;
}

/** Creates an API key with a session (verified user, recent step-up); answers it with the key in clear. */
export async function createApiKey(t: TestApp, token: string, name = 'test key'): Promise<CreatedApiKey> {
  const res = await t.http.post('/me/api-keys').set(bearer(token)).send({ name }).expect(201);
  return { id: res.body.id, name: res.body.name, prefix: res.body.prefix, key: res.body.key };
}

/**
 * Turns TOTP on for a verified user with a recent step-up; answers the secret and the recovery
 * codes. The enrolment code's time step is used: move the clock on before signing in with a code.
 */
export async function enableTotp(t: TestApp, token: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await t.http.post('/me/2fa/totp/setup').set(bearer(token)).expect(200);
  const enable = await t.http
    .post('/me/2fa/totp/enable')
    .set(bearer(token))
    .send({ code: totpCode(setup.body.secret, t.clock) })
    .expect(200);
  return { secret: setup.body.secret, recoveryCodes: enable.body.recoveryCodes };
}

/**
 * Requests as `user` with a bearer token, following the rotation a role change made by someone
 * else causes (the new token comes in X-Session-Token).
 */
export function actingAs(t: TestApp, user: { token: string }) {
  const follow = (res: { headers: Record<string, string> }) => {
    if (res.headers['x-session-token']) user.token = res.headers['x-session-token'];
  };
  return {
    get: (path: string) => t.http.get(path).set(bearer(user.token)).on('response', follow),
    post: (path: string, body?: object) =>
      t.http
        .post(path)
        .set(bearer(user.token))
        .send(body ?? {})
        .on('response', follow),
    patch: (path: string, body: object) => t.http.patch(path).set(bearer(user.token)).send(body).on('response', follow),
    delete: (path: string) => t.http.delete(path).set(bearer(user.token)).on('response', follow),
  };
}

/**
 * After a rotation: the replaced token still works for ROTATION_GRACE_MS (requests in flight), then
 * answers 401 session_expired with reason "rotated". Moves the app's clock past the grace.
 */
export async function expectReplacedToken(
  t: TestApp,
  oldToken: string,
  as: Record<string, string> = bearer(oldToken),
): Promise<void> {
  await t.http.get('/me').set(as).expect(200);
  t.clock.advance(ROTATION_GRACE_MS + 1000);
  const res = await t.http.get('/me').set(as).expect(401);
  expect(res.body).toMatchObject({ error: 'session_expired', reason: 'rotated' });
}
