import { TestApp } from './test-app';

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

/** Re-authenticates with the password; answers the rotated token. */
export async function confirmPassword(t: TestApp, token: string, password = PASSWORD): Promise<string> {
  const res = await t.http.post('/auth/confirm').set(bearer(token)).send({ password }).expect(200);
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
