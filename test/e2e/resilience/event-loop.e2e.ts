import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, confirmPassword, signUp, uniqueEmail } from '../../support/users';

/** 128 characters that cost zxcvbn the most: digit runs and l33t spellings of common words. */
const CRAFTED = ['111', '11', '1', 'p@$$w0rd', '0', '6', '1234', 'p@55', '2019'].map((unit) =>
  unit.repeat(128).slice(0, 128),
);
const crafted = (i: number) => CRAFTED[i % CRAFTED.length];

describe('The event loop during a burst of crafted passwords', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const resetToken = async (email: string): Promise<string> => {
    await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    const [mail] = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Reset'));
    return /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1];
  };

  it('checks the reset token before the password: no token, no strength check', async () => {
    const res = await t.http
      .post('/auth/password/reset')
      .send({ token: 'made-up', newPassword: crafted(0) })
      .expect(400);
    expect(res.body.error).toBe('invalid_token');
  });

  it('stalls no request for long while one IP sends crafted passwords to signup, reset and password change', async () => {
    const user = await signUp(t);
    const token = await resetToken(user.email);
    const session = await confirmPassword(t, user.token);
    const requests = [
      ...Array.from({ length: 8 }, (_, i) =>
        t.http.post('/auth/signup').send({ email: uniqueEmail('burst'), password: crafted(i) }),
      ),
      ...Array.from({ length: 8 }, (_, i) =>
        t.http.post('/auth/password/reset').send({ token, newPassword: crafted(i + 3) }),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        t.http
          .post('/me/password')
          .set(bearer(session))
          .send({ newPassword: crafted(i + 5) }),
      ),
    ];
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    const answers = await Promise.all(requests);
    delay.disable();
    expect(answers.map((res) => res.body.error)).toEqual(answers.map(() => 'weak_password'));
    // Every crafted password was checked (each cost up to half a second of the loop, 2.4 s in all
    // at once, when zxcvbn read all 128 characters on it); none may hold the loop for long now.
    expect(delay.max / 1e6).toBeLessThan(150);
  });
});
