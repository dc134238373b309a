import { startTestApp, TestApp } from '../../support/test-app';
import { signUp } from '../../support/users';

/** PORT alone (no APP_URL): links, the OpenAPI server and the trusted origins follow it. */
describe('a port other than 3000', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { PORT: '4800' } });
  });
  afterAll(() => t.close());

  it('puts the port in the mailed links, the OpenAPI servers entry and the trusted origins', async () => {
    const user = await signUp(t);
    const [mail] = await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Verify'));
    expect(mail.text).toMatch(/http:\/\/localhost:4800\/verify-email\?token=[A-Za-z0-9_-]+/);

    const document = await t.http.get('/docs/openapi.json').expect(200);
    expect(document.body.servers).toEqual([{ url: 'http://localhost:4800' }]);

    const cookie = `sid=${user.token}`;
    for (const origin of ['http://localhost:4800', 'http://127.0.0.1:4800']) {
      await t.http.patch('/me').set('Cookie', cookie).set('Origin', origin).send({ name: 'n' }).expect(200);
    }
    const refused = await t.http
      .patch('/me')
      .set('Cookie', cookie)
      .set('Origin', 'http://localhost:3000')
      .send({ name: 'n' })
      .expect(403);
    expect(refused.body.message).toContain('came from http://localhost:3000');
  });
});
