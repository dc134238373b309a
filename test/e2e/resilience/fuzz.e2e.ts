import { randomUUID } from 'node:crypto';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { startTestApp, TestApp } from '../../support/test-app';
import { readAuthnRequest, resign, TestIdp, toBase64 } from '../../support/saml-idp';
import { bearer, confirmPassword, signUpVerified } from '../../support/users';

/**
 * Every route that takes a body, as the OpenAPI document lists them (a new route is fuzzed without
 * touching this file), gets a few thousand hostile requests from a seeded generator: wrong types,
 * deep nesting, broken and compressed bodies, odd charsets, lone surrogates, NUL, right-to-left
 * marks, huge strings and numbers, prototype keys. None may answer 5xx, and every 4xx carries the
 * contract's error body. A failure names its seed and case number, so it replays exactly.
 */
const SEED = 0x5eed_2026;
const CASES_PER_ROUTE = 170;
const CONCURRENCY = 24;

/** mulberry32: a tiny PRNG, enough to make the same cases every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Route {
  method: string;
  path: string;
  fields: string[];
  acceptsForm: boolean;
}

interface Case {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload: Buffer;
  label: string;
}

class Generator {
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = prng(seed);
  }

  int(below: number): number {
    return Math.floor(this.random() * below);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Text of random code points: ASCII, controls, RTL marks, astral characters and lone surrogates. */
  unicode(length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) {
      const kind = this.int(8);
      if (kind === 0) text += String.fromCharCode(this.int(32));
      else if (kind === 1) text += String.fromCharCode(0xd800 + this.int(0x800));
      else if (kind === 2) text += this.pick(['\u202e', '\u200f', '\u200b', '\ufeff', '\uffff', '\u0301', '\u2028']);
      else if (kind === 3) text += String.fromCodePoint(0x10000 + this.int(0xfffff));
      else if (kind === 4) text += String.fromCharCode(0x80 + this.int(0xd700));
      else text += String.fromCharCode(0x20 + this.int(95));
    }
    return text;
  }

  string(): string {
    return this.pick<() => string>([
      () => '',
      () => ' ',
      () => 'x'.repeat(this.int(400)),
      () => 'x'.repeat(70_000 + this.int(10_000)),
      () => `fuzz${this.int(1e9)}@example.com`,
      () => `${this.unicode(1 + this.int(10))}@example.com`,
      () => `a\ud800@example.com`,
      () => 'a\u0000b',
      () => '\udc00',
      () => 'ab\u202ecd@example.com',
      () => 'Ana 😀',
      () => 'e\u0301',
      () => '<script>alert(1)</script>',
      () => "' OR 1=1 --",
      () => '../../etc/passwd',
      () => '${jndi:ldap://x/a}',
      () => '{{7*7}}',
      () => '__proto__',
      () => 'Correct-Horse-Battery-42',
      () => '1'.repeat(128),
      () => 'A'.repeat(129),
      () => '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
      () => 'owner',
      () => randomUUID(),
      () => this.unicode(1 + this.int(60)),
    ])();
  }

  /** A JSON value as text, so numbers JSON.stringify cannot write (1e309) can be sent. */
  value(depth = 0): string {
    const kind = this.int(depth > 3 ? 3 : 6);
    if (kind === 0) return JSON.stringify(this.string());
    if (kind === 1)
      return this.pick(['0', '-0', '1e309', '-1e309', '1e-400', '123456789012345678901234567890', '3.14', '-1', '2']);
    if (kind === 2) return this.pick(['true', 'false', 'null', '[]', '{}', '""']);
    if (kind === 3) return `[${Array.from({ length: this.int(4) }, () => this.value(depth + 1)).join(',')}]`;
    if (kind === 4) {
      const levels = this.pick([2, 31, 32, 33, 100, 5000]);
      return `${'['.repeat(levels)}${']'.repeat(levels)}`;
    }
    return this.object([this.string().slice(0, 20), 'a'], depth + 1);
  }

  key(fields: string[]): string {
    if (fields.length > 0 && this.chance(0.75)) return this.pick(fields);
    return this.pick(['__proto__', 'constructor', 'prototype', 'admin', 'role', '\ud800', '', this.unicode(4)]);
  }

  object(fields: string[], depth = 0): string {
    const count = this.int(fields.length + 2);
    const members = Array.from({ length: count }, () => `${JSON.stringify(this.key(fields))}:${this.value(depth)}`);
    return `{${members.join(',')}}`;
  }

  /** The body's text: mostly an object with the route's fields, else anything a client might send. */
  body(fields: string[]): string {
    return this.pick<() => string>([
      () => this.object(fields),
      () => this.object(fields),
      () => this.object(fields),
      () => this.object(fields),
      () => {
        const levels = this.pick([33, 1000, 6000]);
        return `{${JSON.stringify(this.key(fields))}:${'['.repeat(levels)}${']'.repeat(levels)}}`;
      },
      () => `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`,
      () => this.object(fields).slice(0, -1 - this.int(5)),
      () => `${this.object(fields)}${this.pick(['x', ',', '}', ' {}'])}`,
      () => this.pick(['', ' ', 'null', '1', '"x"', 'true', '[]', '[{}]', '{', '{"a":}', '{"a":"\\x"}', '\ufeff{}']),
      () => `[${this.object(fields)}]`,
    ])();
  }

  bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.int(256)));
  }
}

function caseFor(g: Generator, route: Route, url: string, token: string, n: number): Case {
  const headers: Record<string, string> = { 'x-forwarded-for': `10.${g.int(256)}.${g.int(256)}.${g.int(256)}` };
  if (g.chance(0.85)) Object.assign(headers, bearer(token));
  let label = 'json';
  let payload: Buffer;
  const shape = g.int(20);
  if (shape === 0) {
    label = 'random bytes';
    payload = g.bytes(g.int(200));
  } else if (shape === 1) {
    label = 'invalid UTF-8';
    payload = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80, 0xc3, 0xff]), Buffer.from('"}')]);
  } else if (shape === 2 && route.acceptsForm) {
    label = 'form';
    headers['content-type'] = 'application/x-www-form-urlencoded';
    payload = Buffer.from(`${g.pick(['SAMLResponse', 'RelayState', '__proto__', 'x'])}=${percentEncoded(g.string())}`);
  } else {
    payload = Buffer.from(g.body(route.fields));
  }
  headers['content-type'] ??= g.chance(0.85)
    ? g.pick(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'])
    : g.pick([
        'application/json; charset="UTF-16LE"',
        'application/json; charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]);
  if (g.chance(0.1)) {
    const encoding = g.pick(['gzip', 'deflate', 'br', 'compress', 'gzip, br', 'identity', 'GZIP']);
    headers['content-encoding'] = encoding;
    const compress = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync }[encoding];
    if (compress && g.chance(0.5)) payload = compress(payload);
    label += ` (${encoding})`;
  }
  return { method: route.method, url, headers, payload, label: `#${n} ${route.method} ${url} ${label}` };
}

/** Every byte of the text's UTF-8 as %XX (a lone surrogate becomes U+FFFD's bytes, as on the wire). */
function percentEncoded(text: string): string {
  return [...Buffer.from(text)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

function decodes(url: string): boolean {
  try {
    decodeURIComponent(url);
    return true;
  } catch {
    return false;
  }
}

/** Why a response breaks the contract, if it does; under /scim/v2 the contract is RFC 7644's error body. */
function problemWith(status: number, text: string, scim = false): string | undefined {
  if (status >= 500) return `answered ${status}: ${text.slice(0, 200)}`;
  if (status < 400) return undefined;
  let body: {
    statusCode?: unknown;
    error?: unknown;
    message?: unknown;
    schemas?: unknown;
    status?: unknown;
    detail?: unknown;
  };
  try {
    body = JSON.parse(text);
  } catch {
    return `a ${status} without a JSON body: ${text.slice(0, 200)}`;
  }
  if (scim) {
    const scimShaped =
      JSON.stringify(body.schemas) === '["urn:ietf:params:scim:api:messages:2.0:Error"]' &&
      body.status === String(status) &&
      typeof body.detail === 'string' &&
      body.detail.length > 0;
    return scimShaped ? undefined : `a ${status} with the wrong SCIM error body: ${text.slice(0, 200)}`;
  }
  const wellFormed =
    body.statusCode === status &&
    typeof body.error === 'string' &&
    /^[a-z_]+$/.test(body.error) &&
    typeof body.message === 'string' &&
    body.message.length > 0;
  return wellFormed ? undefined : `a ${status} with the wrong error body: ${text.slice(0, 200)}`;
}

describe('Fuzzing every route that takes a body', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Each case comes from an address of its own, so the per-IP limits do not stop them before validation.
    t = await startTestApp({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => t.close());

  it(`answers ${CASES_PER_ROUTE} hostile bodies per route without a 5xx, every 4xx in the contract's shape`, async () => {
    const document = (await t.http.get('/docs/openapi.json').expect(200)).body;
    const schemas = document.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    const routes: Route[] = [];
    type Operation = { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } };
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, operation] of Object.entries(operations)) {
        const content = operation.requestBody?.content;
        if (!content) continue;
        const ref = Object.values(content)[0].schema?.$ref?.split('/').pop();
        const fields = Object.keys((ref && schemas[ref]?.properties) ?? {});
        routes.push({
          method: method.toUpperCase(),
          path,
          fields,
          acceptsForm: 'application/x-www-form-urlencoded' in content,
        });
      }
    }
    expect(routes.length).toBeGreaterThanOrEqual(15);

    const user = await signUpVerified(t);
    let token = await confirmPassword(t, user.token);
    const org = await t.http.post('/orgs').set(bearer(token)).send({ name: 'Fuzz' }).expect(201);
    // A SCIM directory of its own, so that hostile SCIM bodies reach the SCIM parsers (the domain
    // marked verified as DNS would: this spec runs no DNS server).
    const provider = await t.http
      .put(`/orgs/${org.body.id}/sso/saml`)
      .set(bearer(token))
      .send({
        domain: 'fuzz-scim.test',
        idpEntityId: 'https://idp.fuzz-scim.test',
        idpSsoUrl: 'https://idp.fuzz-scim.test/sso',
        idpCert: new TestIdp('https://idp.fuzz-scim.test', 'https://idp.fuzz-scim.test/sso').cert,
      })
      .expect(200);
    await t.dataSource.query('UPDATE saml_providers SET domain_verified_at = now() WHERE id = $1', [provider.body.id]);
    const scimToken = (
      await t.http.post(`/orgs/${org.body.id}/scim/tokens`).set(bearer(token)).send({ name: 'fuzz' }).expect(201)
    ).body.token as string;
    const g = new Generator(SEED);
    const cases: Case[] = [];
    for (const route of routes) {
      for (let i = 0; i < CASES_PER_ROUTE; i++) {
        const url = route.path
          .replace('{id}', () =>
            g.chance(0.8) ? org.body.id : g.pick([randomUUID(), 'x', '%ED%A0%80', 'a'.repeat(300)]),
          )
          .replace('{userId}', () => (g.chance(0.8) ? user.id : randomUUID()));
        cases.push(caseFor(g, route, url, token, cases.length));
      }
    }

    const failures: string[] = [];
    const send = async (c: Case): Promise<void> => {
      // A case may have changed the password: the session's new token is the one to keep using.
      // A SCIM route answers RFC 7644's error body; a URL the router cannot decode reaches no route.
      const scim = c.url.startsWith('/scim/v2/') && decodes(c.url);
      if (c.headers.authorization) c.headers.authorization = `Bearer ${scim ? scimToken : token}`;
      const res = await t.app.inject({
        method: c.method as 'POST',
        url: c.url,
        headers: c.headers,
        payload: c.payload,
      });
      const rotated = res.headers['x-session-token'];
      if (typeof rotated === 'string') token = rotated;
      const problem = problemWith(res.statusCode, res.body, scim);
      if (problem) failures.push(`seed ${SEED} case ${c.label}: ${problem}`);
    };
    // CONCURRENCY requests in flight at all times, each sender taking the next case as one finishes.
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) await send(cases[next++]);
      }),
    );
    expect(cases.length).toBeGreaterThanOrEqual(2500);
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it('answers hostile SAML logins, ACS posts and metadata requests, and the pages, without a 5xx', async () => {
    const owner = await signUpVerified(t);
    const ownerToken = await confirmPassword(t, owner.token);
    const orgId = (await t.http.post('/orgs').set(bearer(ownerToken)).send({ name: 'Fuzz SSO' }).expect(201)).body.id;
    const idp = new TestIdp('https://idp.fuzz.test/metadata', 'https://idp.fuzz.test/sso');
    const provider = (
      await t.http
        .put(`/orgs/${orgId}/sso/saml`)
        .set(bearer(ownerToken))
        .send({ domain: 'fuzz.test', idpMetadataXml: idp.metadataXml() })
        .expect(200)
    ).body;
    // The domain counts as proved (the DNS check is tested elsewhere), so that accepted responses
    // provision accounts and sign in, rather than answering a dry run.
    await t.dataSource.query('UPDATE saml_providers SET domain_verified_at = now() WHERE id = $1', [provider.id]);
    // Logins in flight, each with the cookie of the browser that started it.
    const g = new Generator(SEED + 1);
    const logins: Array<{ binding: string; requestId: string }> = [];
    for (let i = 0; i < 24; i++) {
      const returnTo = g.pick(['/', '/caf\u00e9', '/\u20ac/\u2603?q=\ud83d\ude00', `/${g.string().slice(0, 200)}`]);
      const res = await t.http
        .get(`/auth/saml/${provider.id}/login?returnTo=${percentEncoded(returnTo)}`)
        .set(bearer(ownerToken))
        .set('X-Forwarded-For', `10.9.0.${i}`)
        .expect(302);
      const binding = /saml_binding=([^;]+)/.exec(String(res.headers['set-cookie']))![1];
      logins.push({ binding, requestId: readAuthnRequest(res.headers.location).id });
    }

    /** A Response the IdP really signed, for one of the logins, then bent: the parse and node-saml must refuse it cleanly. */
    const samlResponse = (requestId: string): string => {
      const plain = `fuzz-${g.int(1e9)}@fuzz.test`;
      const unsigned = idp.buildResponse({
        acsUrl: provider.acsUrl,
        spEntityId: provider.spEntityId,
        inResponseTo: requestId,
        nameId: g.chance(0.6) ? plain : g.string().slice(0, 300),
        attributes: g.chance(0.6)
          ? { email: plain }
          : { email: g.string().slice(0, 300), displayName: g.string().slice(0, 300) },
        signAssertion: false,
        signResponse: false,
      }).xml;
      // What the IdP signs: as built, or with characters only a reference can carry (NUL, a lone surrogate).
      const signedBend = g.pick<(xml: string) => string>([
        (xml) => xml,
        (xml) => xml,
        (xml) => xml.replace(/fuzz-(\d+)/g, (_, n) => `fuzz-${n}&#x${g.pick(['0', '1', 'D800', 'FFFE', '7F'])};`),
        (xml) => xml.replace(/<saml:AttributeValue>/, `<saml:AttributeValue>&#x${g.pick(['0', 'B', '1F'])};`),
      ]);
      const signed = resign(signedBend(unsigned), { signer: idp.keys }).split('\u0000').join('&#x0;');
      const bend = g.pick<(xml: string) => string>([
        (xml) => xml,
        (xml) => xml,
        (xml) => xml,
        (xml) => xml.replace(/fuzz-\d+/, '&#x0;'),
        (xml) => xml.replace('</saml:NameID>', '&#xD800;</saml:NameID>'),
        (xml) => xml.replace('<saml:Subject>', '<!-- -->' + '<saml:Subject>'),
        (xml) => xml.slice(0, g.int(xml.length)),
        (xml) => xml.replace('<samlp:Status>', '<samlp:Status>' + '<a>'.repeat(3000) + '</a>'.repeat(3000)),
        (xml) =>
          xml.replace(
            '<samlp:Status>',
            `<samlp:Extensions>${'<x/>'.repeat(g.int(6000))}</samlp:Extensions><samlp:Status>`,
          ),
        (xml) => xml.replace(/ID="[^"]+"/, `ID="${g.string().replace(/["<&]/g, '').slice(0, 300)}"`),
        (xml) =>
          xml.replace(
            /IssueInstant="[^"]+"/g,
            `IssueInstant="${g.pick(['', '9999-99-99T99:99:99Z', '2020-01-01T00:00:00Z'])}"`,
          ),
        (xml) => `<?xml version="1.0" encoding="${g.pick(['UTF-16', 'latin1', 'x'])}"?>` + xml,
        (xml) => xml.replace('samlp:Response', g.pick(['samlp:LogoutResponse', 'samlp:Response\u0000', 'Response'])),
        (xml) => xml + g.string(),
      ]);
      return toBase64(bend(signed));
    };

    const cases: Case[] = [];
    const forwarded = () => ({ 'x-forwarded-for': `10.${g.int(256)}.${g.int(256)}.${g.int(256)}` });
    const query = (name: string) => `${name}=${percentEncoded(g.string().slice(0, 3000))}`;
    const providerId = () =>
      g.chance(0.8) ? provider.id : g.pick([randomUUID(), 'x', '%ED%A0%80', '%00', 'a'.repeat(300), orgId]);
    for (let i = 0; i < CASES_PER_ROUTE; i++) {
      // GET /auth/saml/:id/login: returnTo and stepUp of any kind, signed in as the owner or not.
      const loginHeaders: Record<string, string> = forwarded();
      if (g.chance(0.5)) loginHeaders.authorization = `Bearer ${ownerToken}`;
      else if (g.chance(0.3)) loginHeaders.cookie = `sid=${g.string().replace(/[;\s]/g, '').slice(0, 100)}`;
      const params = [
        query('returnTo'),
        ...(g.chance(0.3) ? [query('stepUp')] : []),
        ...(g.chance(0.2) ? [query('returnTo')] : []),
      ];
      cases.push({
        method: 'GET',
        url: `/auth/saml/${providerId()}/login?${params.join('&')}`,
        headers: loginHeaders,
        payload: Buffer.alloc(0),
        label: `#${cases.length} login`,
      });
      // GET /auth/saml/:id/metadata.
      cases.push({
        method: 'GET',
        url: `/auth/saml/${providerId()}/metadata${g.chance(0.3) ? `?${query('x')}` : ''}`,
        headers: forwarded(),
        payload: Buffer.alloc(0),
        label: `#${cases.length} metadata`,
      });
      // POST /auth/saml/:id/acs: bent signed responses for logins in flight, with their cookie or another.
      const login = g.pick(logins);
      const acsHeaders: Record<string, string> = {
        ...forwarded(),
        'content-type': 'application/x-www-form-urlencoded',
      };
      if (g.chance(0.8))
        acsHeaders.cookie = `saml_binding=${g.chance(0.9) ? login.binding : g.string().replace(/[;\s]/g, '').slice(0, 80)}`;
      const value = g.chance(0.8)
        ? samlResponse(g.chance(0.9) ? login.requestId : g.string().slice(0, 300))
        : g.string();
      const fields = [
        `SAMLResponse=${percentEncoded(value)}`,
        ...(g.chance(0.2) ? [`RelayState=${percentEncoded(g.string())}`] : []),
      ];
      cases.push({
        method: 'POST',
        url: `/auth/saml/${providerId()}/acs`,
        headers: acsHeaders,
        payload: Buffer.from(fields.join('&')),
        label: `#${cases.length} acs`,
      });
      // The pages: the link's GET, the page with its cookie, and the reset form's post.
      const page = g.pick(['/verify-email', '/reset-password']);
      const cookieName = page === '/verify-email' ? 'verify_token' : 'reset_token';
      const pageHeaders: Record<string, string> = forwarded();
      if (g.chance(0.6)) pageHeaders.cookie = `${cookieName}=${percentEncoded(g.string().slice(0, 600))}`;
      cases.push({
        method: g.chance(0.1) ? 'HEAD' : 'GET',
        url: `${page}${g.chance(0.7) ? `?${query('token')}` : ''}`,
        headers: pageHeaders,
        payload: Buffer.alloc(0),
        label: `#${cases.length} GET ${page}`,
      });
      const formHeaders: Record<string, string> = {
        ...forwarded(),
        'content-type': g.pick(['application/x-www-form-urlencoded', 'application/json', 'text/plain']),
        origin: g.chance(0.8)
          ? 'http://localhost:3000'
          : g
              .string()
              .slice(0, 100)
              .replace(/[^\x20-\x7e]/g, ''),
      };
      if (g.chance(0.7)) formHeaders.cookie = `reset_token=${percentEncoded(g.string().slice(0, 600))}`;
      const password = g.string();
      const form = [
        `newPassword=${percentEncoded(password)}`,
        `confirmPassword=${percentEncoded(g.chance(0.6) ? password : g.string())}`,
        ...(g.chance(0.2) ? [`${percentEncoded(g.key([]))}=${percentEncoded(g.string())}`] : []),
      ];
      cases.push({
        method: 'POST',
        url: '/reset-password',
        headers: formHeaders,
        payload: Buffer.from(g.chance(0.9) ? form.join('&') : g.body(['newPassword', 'confirmPassword'])),
        label: `#${cases.length} POST /reset-password`,
      });
    }

    const failures: string[] = [];
    let signedIn = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const c = cases[next++];
          const answer = t.app.inject({
            method: c.method as 'GET',
            url: c.url,
            headers: c.headers,
            payload: c.payload,
          });
          let timer: NodeJS.Timeout | undefined;
          const silence = new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), 10_000);
          });
          const res = await Promise.race([answer, silence]);
          clearTimeout(timer);
          if (!res) {
            failures.push(`seed ${SEED + 1} case ${c.label} ${c.url.slice(0, 120)}: no answer within 10 s`);
            continue;
          }
          if (c.label.endsWith(' acs') && res.statusCode === 302) signedIn++;
          // The pages answer HTML; the API routes the JSON error body.
          const html = String(res.headers['content-type'] ?? '').startsWith('text/html');
          const problem =
            res.statusCode >= 500
              ? `answered ${res.statusCode}: ${res.body.slice(0, 200)}`
              : html || c.method === 'HEAD'
                ? undefined
                : problemWith(res.statusCode, res.body);
          if (problem) failures.push(`seed ${SEED + 1} case ${c.label} ${c.url.slice(0, 120)}: ${problem}`);
        }
      }),
    );
    expect(cases.length).toBeGreaterThanOrEqual(800);
    expect(failures.slice(0, 10)).toEqual([]);
    // Some responses were good: the redirect after a sign-in was reached too.
    expect(signedIn).toBeGreaterThan(0);
  }, 120_000);
});
