import { existsSync } from 'node:fs';
import { createServer, AddressInfo } from 'node:net';
import type { Browser, HTTPResponse } from 'puppeteer-core';
import { launch } from 'puppeteer-core';
import { startTestApp, TestApp } from '../../support/test-app';
import { totpCode } from '../../support/totp';
import { bearer, confirmPassword, enableTotp, logIn, signUp, uniqueEmail } from '../../support/users';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
if (!CHROMIUM) {
  process.stderr.write('pages: no Chromium binary (apt-get install -y chromium); the browser tests are skipped\n');
}
const inBrowser = CHROMIUM ? describe : describe.skip;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The built-in pages behind the mailed links, as a browser opens them on the service itself. */
describe('the built-in pages', () => {
  let t: TestApp;
  let appUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    t = await startTestApp({ env: { APP_URL: appUrl } });
    await t.app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  async function mailedLink(email: string, subject: string, path: string): Promise<string> {
    const mails = await t.mail.waitFor((m) => m.to === email && m.subject.includes(subject));
    const link = new RegExp(`${appUrl.replace(/\./g, '\\.')}${path}\\?token=[A-Za-z0-9_-]+`).exec(mails.at(-1)!.text);
    if (!link) throw new Error(`no ${path} link in: ${mails.at(-1)!.text}`);
    return link[0];
  }

  it('moves the token out of the address into a path-scoped cookie with a 303', async () => {
    const res = await t.http.get('/verify-email?token=abc').expect(303);
    expect(res.headers.location).toBe('/verify-email');
    expect(res.headers['set-cookie'][0]).toBe(
      'verify_token=abc; Path=/verify-email; Max-Age=600; HttpOnly; SameSite=Lax',
    );
    const page = await t.http.get('/verify-email').set('Cookie', 'verify_token=abc').expect(400);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toMatch(
      /^default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'/,
    );
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.text).toContain('This link or token is unknown, expired or already used.');
    expect(page.text).toContain('<html lang="en">');
    await t.http.get('/reset-password').expect(400);
    // A HEAD with the cookie spends nothing (the cookie stays).
    const head = await t.http.head('/verify-email').set('Cookie', 'verify_token=abc').expect(200);
    expect(head.headers['set-cookie']).toBeUndefined();
  });

  it('refuses the reset form from another origin, and keeps the JSON routes of the same names', async () => {
    await t.http
      .post('/reset-password')
      .type('form')
      .set('Origin', 'https://evil.example')
      .set('Cookie', 'reset_token=abc')
      .send({ newPassword: 'x', confirmPassword: 'x' })
      .expect(403);
    await t.http
      .post('/auth/verify-email')
      .send({ token: 'abc' })
      .expect(400, /invalid_token/);
    await t.http.post('/auth/password/reset').send({ token: 'abc', newPassword: 'Another-Long-Pass-77' }).expect(400);
  });

  /** Signs up and verifies through the mailed link (whose address is this app's APP_URL). */
  async function verifiedUser() {
    const user = await signUp(t);
    const link = await mailedLink(user.email, 'Verify', '/verify-email');
    await t.http
      .post('/auth/verify-email')
      .send({ token: new URL(link).searchParams.get('token') })
      .expect(200);
    return user;
  }

  const start = (email: string, returnTo?: string) =>
    t.http.post('/auth/email/start').send({ email, ...(returnTo !== undefined ? { returnTo } : {}) });

  describe('/sign-in/email', () => {
    const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

    it('keeps the link unspent through GET and HEAD: the token moves to a cookie, the page shows one button', async () => {
      const email = uniqueEmail('page');
      await start(email).expect(202);
      const token = tokenOf(await mailedLink(email, 'Sign in', '/sign-in/email'));
      const moved = await t.http.get(`/sign-in/email?token=${token}`).expect(303);
      expect(moved.headers.location).toBe('/sign-in/email');
      expect(moved.headers['set-cookie'][0]).toBe(
        `sign_in_token=${token}; Path=/sign-in/email; Max-Age=600; HttpOnly; SameSite=Lax`,
      );
      const cookie = `sign_in_token=${token}`;
      for (let i = 0; i < 2; i++) {
        const page = await t.http.get('/sign-in/email').set('Cookie', cookie).expect(200);
        expect(page.headers['content-security-policy']).toContain("form-action 'self'");
        expect(page.headers['cache-control']).toBe('no-store');
        expect(page.headers['x-frame-options']).toBe('DENY');
        expect(page.text).toContain('<form method="post" action="/sign-in/email"><p>');
        expect(page.text.match(/<button/g)).toHaveLength(1);
        expect(page.text).toContain('<button type="submit">Sign in</button>');
        await t.http.head('/sign-in/email').set('Cookie', cookie).expect(200);
      }
      await t.http.get('/sign-in/email').expect(400);
      // Refused from another origin, and unspent by the refusal.
      await t.http
        .post('/sign-in/email')
        .type('form')
        .set('Origin', 'https://evil.example')
        .set('Cookie', cookie)
        .send({})
        .expect(403);
      const signedIn = await t.http.post('/auth/email/verify').send({ token }).expect(200);
      expect(signedIn.body).toMatchObject({ created: true, user: { email } });
    });

    it('refuses a returnTo off this origin at the start', async () => {
      for (const returnTo of [`https://evil.example/`, '//evil.example/x', '/\\evil.example']) {
        expect((await start(uniqueEmail(), returnTo).expect(400)).body.error).toBe('validation_failed');
      }
    });
  });

  inBrowser('in Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    });
    afterAll(() => browser?.close());

    it('renders the API documentation at /docs under its Content-Security-Policy', async () => {
      const page = await browser.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content.Security.Policy/i.test(message.text())) refused.push(message.text());
      });
      const response = (await page.goto(`${appUrl}/docs`))!;
      expect(response.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
      await page.waitForSelector('.swagger-ui .info .title', { timeout: 15_000 });
      await page.waitForSelector('.opblock-tag', { timeout: 15_000 });
      expect(await page.$eval('.swagger-ui .info .title', (h) => h.textContent)).toContain('authd');
      expect(refused).toEqual([]);
      await page.close();
    });

    it('verifies the address from the mailed link, leaving no token in the address', async () => {
      const user = await signUp(t);
      const page = await browser.newPage();
      const response = (await page.goto(await mailedLink(user.email, 'Verify', '/verify-email')))!;
      expect(page.url()).toBe(`${appUrl}/verify-email`);
      expect(response.headers()['content-security-policy']).toContain("default-src 'none'");
      expect(await page.$eval('h1', (h) => h.textContent)).toBe('Email address verified');
      expect(await page.$eval('[role=status]', (p) => p.textContent)).toContain(user.email);
      const me = await t.http.get('/me').set(bearer(user.token)).expect(200);
      expect(me.body.emailVerified).toBe(true);
      await page.close();
    });

    it('signs in with the button of the mailed link and lands on APP_URL + returnTo', async () => {
      const user = await verifiedUser();
      await start(user.email, '/welcome?tab=1').expect(202);
      const page = await browser.newPage();
      await page.goto(await mailedLink(user.email, 'Sign in', '/sign-in/email'));
      expect(page.url()).toBe(`${appUrl}/sign-in/email`);
      expect(await page.$eval('h1', (h) => h.textContent)).toBe('Sign in');
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      expect(page.url()).toBe(`${appUrl}/welcome?tab=1`);
      const sid = (await page.cookies(appUrl)).find((c) => c.name === 'sid')!;
      expect(sid.httpOnly).toBe(true);
      const me = await t.http.get('/me').set('Cookie', `sid=${sid.value}`).expect(200);
      expect(me.body.id).toBe(user.id);
      await page.close();
    });

    it('asks a two-factor account for its code on the page, then signs in', async () => {
      const user = await verifiedUser();
      const { secret } = await enableTotp(t, await confirmPassword(t, user.token));
      t.clock.advance(60_000);
      await start(user.email).expect(202);
      const page = await browser.newPage();
      await page.goto(await mailedLink(user.email, 'Sign in', '/sign-in/email'));
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      expect(page.url()).toBe(`${appUrl}/sign-in/email`);
      await page.type('#totpCode', '000000');
      let answer = (await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]))[0]!;
      expect(answer.status()).toBe(401);
      expect(await page.$eval('[role=alert]', (p) => p.textContent)).toContain('authenticator');
      await page.type('#totpCode', totpCode(secret, t.clock));
      answer = (await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]))[0]!;
      expect(page.url()).toBe(`${appUrl}/`);
      expect((await page.cookies(appUrl)).some((c) => c.name === 'sid')).toBe(true);
      await page.close();
    });

    it('resets the password through the form, showing the password rules, then the new one signs in', async () => {
      const user = await signUp(t);
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      const page = await browser.newPage();
      await page.goto(await mailedLink(user.email, 'Reset', '/reset-password'));
      expect(page.url()).toBe(`${appUrl}/reset-password`);

      const submit = async (password: string, confirmation = password): Promise<HTTPResponse> => {
        await page.type('#newPassword', password);
        await page.type('#confirmPassword', confirmation);
        const [answer] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
        return answer!;
      };
      let answer = await submit('password123');
      expect(answer.status()).toBe(400);
      expect(await page.$eval('[role=alert]', (p) => p.textContent)).toContain('not a common or easily guessed');
      answer = await submit('Fresh-Long-Passphrase-91', 'Fresh-Long-Passphrase-19');
      expect(await page.$eval('[role=alert]', (p) => p.textContent)).toContain('differ');
      answer = await submit('Fresh-Long-Passphrase-91');
      expect(answer.status()).toBe(200);
      expect(answer.headers()['content-security-policy']).toContain("form-action 'self'");
      expect(await page.$eval('h1', (h) => h.textContent)).toBe('Password changed');
      expect(page.url()).toBe(`${appUrl}/reset-password`);
      await page.close();

      await logIn(t, user.email, { password: 'Fresh-Long-Passphrase-91' });
      await t.http.post('/auth/login').send({ email: user.email, password: 'Correct-Horse-Battery-42' }).expect(401);
    });
  });
});
