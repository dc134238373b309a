import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startTestApp, TestApp } from '../../support/test-app';
import { TestIdp, readAuthnRequest, toBase64 } from '../../support/saml-idp';
import { bearer, confirmPassword, signUp, signUpVerified, uniqueEmail } from '../../support/users';

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

  describe('and during a burst of 256 KB posts to the SAML ACS', () => {
    const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
    let acs: string;
    let binding: string;
    let requestId: string;

    beforeAll(async () => {
      const owner = await signUpVerified(t);
      const orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Burst' }).expect(201)).body.id;
      owner.token = await confirmPassword(t, owner.token);
      const idp = new TestIdp('https://idp.burst.test/metadata', 'https://idp.burst.test/sso');
      const provider = await t.http
        .put(`/orgs/${orgId}/sso/saml`)
        .set(bearer(owner.token))
        .send({ domain: 'burst.test', idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCert: idp.cert })
        .expect(200);
      acs = `/auth/saml/${provider.body.id}/acs`;
      // A login in flight, and the cookie of the browser that started it.
      const login = await t.http.get(`/auth/saml/${provider.body.id}/login`).set(bearer(owner.token)).expect(302);
      binding = /saml_binding=([^;]+)/.exec(String(login.headers['set-cookie']))![1];
      requestId = readAuthnRequest(login.headers.location).id;
    });

    /** A well-formed Response of as many elements as the form's 256 KB hold (what costs a DOM the most). */
    const bulkyResponse = (inResponseTo: string) => {
      const filler = Array.from({ length: 11_500 }, (_, i) => `<x ID="_${i}"/>`).join('');
      const xml =
        `<samlp:Response xmlns:samlp="${PROTOCOL}" ID="_burst" Version="2.0" InResponseTo="${inResponseTo}">` +
        `<samlp:Extensions>${filler}</samlp:Extensions></samlp:Response>`;
      const body = `SAMLResponse=${encodeURIComponent(toBase64(xml))}`;
      expect(body.length).toBeGreaterThan(240 * 1024);
      expect(body.length).toBeLessThan(256 * 1024);
      return body;
    };

    it('stalls no request for long, with the binding cookie or without', async () => {
      const unknown = bulkyResponse('_not-in-flight');
      const posts = [
        // Without a cookie; with this browser's, answering nothing in flight; with another browser's.
        ...Array.from({ length: 5 }, () => ({ body: unknown, cookie: undefined })),
        ...Array.from({ length: 5 }, () => ({ body: unknown, cookie: binding })),
        ...Array.from({ length: 5 }, () => ({ body: bulkyResponse(requestId), cookie: 'another-browser-0123456789' })),
        // This browser's, answering its request: refused before the parse too, by its count of tags.
        ...Array.from({ length: 5 }, () => ({ body: bulkyResponse(requestId), cookie: binding })),
      ];
      const delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
      const answers = await Promise.all(
        posts.map(({ body, cookie }) => {
          const post = t.http.post(acs).type('form');
          if (cookie) post.set('Cookie', `saml_binding=${cookie}`);
          return post.send(body);
        }),
      );
      delay.disable();
      expect(answers.map((res) => res.status)).toEqual(posts.map(() => 401));
      // Each of these posts cost a DOM of its 256 KB and eight walks of it (a few hundred milliseconds of
      // the loop, 100–130 ms of delay on average across the burst); refused before any parse, they cost
      // the form's decoding. The mean, not the maximum, so that a moment off the CPU on a busy machine
      // does not decide.
      expect(delay.mean / 1e6).toBeLessThan(60);
      expect(delay.max / 1e6).toBeLessThan(400);
    });
  });
});
