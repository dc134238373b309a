import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '.';
import { selfSigned } from '../../test/support/x509';

const KEY = Buffer.alloc(32, 1).toString('base64');
const base = { ENCRYPTION_KEY: KEY, DATA_DIR: '/tmp/unused' };

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      appUrl: 'http://localhost:3000',
      trustedOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000'],
      databaseUrl: undefined,
      mailFrom: 'Auth <no-reply@localhost>',
      trustProxy: false,
      sessionIdleTimeoutMs: 30 * 60_000,
      sessionAbsoluteTimeoutMs: 24 * 3600_000,
      sessionTouchIntervalMs: 60_000,
      stepUpWindowMs: 5 * 60_000,
      verificationTokenTtlMs: 24 * 3600_000,
      passwordResetTokenTtlMs: 3600_000,
      unverifiedAccountTtlMs: 7 * 24 * 3600_000,
      deletionGracePeriodMs: 30 * 24 * 3600_000,
      tasksEnabled: true,
      webhookAllowPrivate: false,
      dnsServers: [],
      samlSp: undefined,
      webauthn: { rpId: 'localhost', origins: ['http://localhost:3000'] },
      accessTokenTtlMs: 5 * 60_000,
      accessTokenAudience: 'http://localhost:3000',
      passwordHashing: { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
    });
    expect(config.secureCookies).toBe(false);
  });

  it('derives APP_URL from PORT and trusts both loopback spellings outside production', () => {
    const config = loadConfig({ ...base, PORT: '4800' });
    expect(config.appUrl).toBe('http://localhost:4800');
    expect(config.trustedOrigins).toEqual(['http://localhost:4800', 'http://127.0.0.1:4800']);
    const explicit = loadConfig({
      ...base,
      PORT: '4800',
      APP_URL: 'http://127.0.0.1:5173',
      CORS_ORIGINS: 'http://x.test',
    });
    expect(explicit.appUrl).toBe('http://127.0.0.1:5173');
    expect(explicit.trustedOrigins).toEqual(['http://127.0.0.1:5173', 'http://x.test', 'http://localhost:5173']);
    const production = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/auth',
      ENCRYPTION_KEY: KEY,
      APP_URL: 'http://localhost:4800',
    });
    expect(production.trustedOrigins).toEqual(['http://localhost:4800']);
  });

  it('parses every duration form once', () => {
    const config = loadConfig({
      ...base,
      SESSION_IDLE_TIMEOUT: '45s',
      STEP_UP_WINDOW: '2h',
      DELETION_GRACE_PERIOD: '1d',
      SESSION_TOUCH_INTERVAL: '500ms',
    });
    expect(config.sessionIdleTimeoutMs).toBe(45_000);
    expect(config.stepUpWindowMs).toBe(7_200_000);
    expect(config.deletionGracePeriodMs).toBe(86_400_000);
    expect(config.sessionTouchIntervalMs).toBe(500);
  });

  it.each([
    ['SESSION_IDLE_TIMEOUT', '30'],
    ['SESSION_IDLE_TIMEOUT', '0m'],
    ['SESSION_ABSOLUTE_TIMEOUT', '-1h'],
    ['STEP_UP_WINDOW', 'five minutes'],
    ['PORT', '70000'],
    ['PORT', 'abc'],
    ['TASKS_ENABLED', 'yes'],
    ['WEBHOOK_ALLOW_PRIVATE', 'on'],
    ['APP_URL', 'localhost:3000'],
    ['APP_URL', 'ftp://example.com'],
    ['CORS_ORIGINS', 'https://ok.example.com,https://bad.example.com/path'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['SMTP_URL', 'http://mail'],
    ['REDIS_URL', 'not a url'],
    ['ENCRYPTION_KEY', 'c2hvcnQ='],
    ['ENCRYPTION_KEY_PREVIOUS', 'c2hvcnQ='],
    ['ENCRYPTION_KEY_PREVIOUS', 'not base64!'],
    ['ENCRYPTION_KEY_PREVIOUS', KEY],
    ['TRUST_PROXY', '10.0.0.0/99'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['DNS_SERVERS', '1.1.1.1:99999'],
    ['DNS_SERVERS', 'dns.example.com'],
    ['DNS_SERVERS', '[1.1.1.1]:53'],
    ['DNS_SERVERS', '::1:53x'],
    ['MAIL_FROM', 'not an address'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['WEBAUTHN_RP_ID', '192.0.2.1'],
    ['WEBAUTHN_RP_ID', '[::1]'],
    ['WEBAUTHN_RP_ID', 'https://example.com'],
    ['WEBAUTHN_RP_ID', 'example.com:443'],
    ['WEBAUTHN_ORIGINS', 'https://example.com/path'],
    ['WEBAUTHN_ORIGINS', 'https://elsewhere.test'],
    ['METRICS_TOKEN', 'short'],
    ['METRICS_TOKEN', 'sixteen chars with spaces'],
    ['METRICS_PORT', '70000'],
    ['METRICS_PORT', 'metrics.internal:9464'],
    ['METRICS_PORT', '3000'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'grpc://collector:4317'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    ['ACCESS_TOKEN_TTL', 'soon'],
    ['ACCESS_TOKEN_AUDIENCE', 'two audiences'],
    ['ACCESS_TOKEN_AUDIENCE', 'https://[bad'],
  ])('refuses %s=%s with one line naming the variable', (name, value) => {
    const message = refusal({ ...base, [name]: value });
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });

  it('reads ENCRYPTION_KEY_PREVIOUS beside ENCRYPTION_KEY, and never repeats a key in a refusal', () => {
    const previous = Buffer.alloc(32, 0x5a).toString('base64');
    const config = loadConfig({ ...base, ENCRYPTION_KEY_PREVIOUS: previous });
    expect(config.encryptionKeyPrevious!.equals(Buffer.from(previous, 'base64'))).toBe(true);
    expect(config.encryptionKeyFile).toBeUndefined();
    expect(loadConfig(base).encryptionKeyPrevious).toBeUndefined();
    expect(refusal({ ...base, ENCRYPTION_KEY_PREVIOUS: KEY })).not.toContain(KEY);
  });

  it('reads the metrics token, the metrics listener (private unless an address is given) and the OTLP endpoint', () => {
    const unset = loadConfig(base);
    expect([unset.metricsToken, unset.metricsListen, unset.tracing]).toEqual([undefined, undefined, undefined]);
    const config = loadConfig({
      ...base,
      METRICS_TOKEN: 'a'.repeat(32),
      METRICS_PORT: '9464',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    });
    expect(config.metricsToken).toBe('a'.repeat(32));
    expect(config.metricsListen).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(config.tracing).toEqual({ endpoint: 'http://collector:4318' });
    expect(loadConfig({ ...base, METRICS_PORT: '0.0.0.0:9464' }).metricsListen).toEqual({
      host: '0.0.0.0',
      port: 9464,
    });
    expect(loadConfig({ ...base, METRICS_PORT: '[::]:9464' }).metricsListen).toEqual({ host: '::', port: 9464 });
    expect(refusal({ ...base, METRICS_TOKEN: 'x'.repeat(8) + ' secret-part' })).not.toContain('secret-part');
  });

  it("takes the access tokens' lifetime and audience, a URI or a plain name", () => {
    expect(
      loadConfig({ ...base, ACCESS_TOKEN_TTL: '90s', ACCESS_TOKEN_AUDIENCE: 'https://api.example.com' }),
    ).toMatchObject({ accessTokenTtlMs: 90_000, accessTokenAudience: 'https://api.example.com' });
    expect(loadConfig({ ...base, ACCESS_TOKEN_AUDIENCE: 'product-api' }).accessTokenAudience).toBe('product-api');
  });

  it('never repeats a URL that may hold a password', () => {
    const message = refusal({ ...base, DATABASE_URL: 'postgres://user:hunter2@[bad' });
    expect(message).not.toContain('hunter2');
  });

  it('requires DATABASE_URL and ENCRYPTION_KEY in production', () => {
    expect(refusal({ NODE_ENV: 'production', ENCRYPTION_KEY: KEY })).toContain('DATABASE_URL');
    expect(refusal({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/auth' })).toContain('ENCRYPTION_KEY');
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/auth',
      ENCRYPTION_KEY: KEY,
      APP_URL: 'http://intranet:8080',
    });
    expect(config.isProduction).toBe(true);
    expect(config.secureCookies).toBe(false);
  });

  it('reads origins, proxies and resolvers', () => {
    const config = loadConfig({
      ...base,
      APP_URL: 'https://auth.example.com/',
      CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
      TRUST_PROXY: '10.0.0.1, 192.168.0.0/16, ::1',
      DNS_SERVERS: '1.1.1.1,8.8.8.8:53,[::1]:5353,2001:db8::1',
    });
    expect(config.appUrl).toBe('https://auth.example.com');
    expect(config.secureCookies).toBe(true);
    expect(config.trustedOrigins).toEqual([
      'https://auth.example.com',
      'https://app.example.com',
      'https://admin.example.com',
    ]);
    expect(config.trustProxy).toEqual(['10.0.0.1', '192.168.0.0/16', '::1']);
    expect(config.dnsServers).toEqual(['1.1.1.1', '8.8.8.8:53', '[::1]:5353', '2001:db8::1']);
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  describe('WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS', () => {
    it("take APP_URL's host and origin, plus the extra origins within the RP id", () => {
      const config = loadConfig({
        ...base,
        APP_URL: 'https://auth.example.com/base',
        WEBAUTHN_RP_ID: 'Example.com',
        WEBAUTHN_ORIGINS: 'https://app.example.com, https://example.com:8443',
      });
      expect(config.webauthn).toEqual({
        rpId: 'example.com',
        origins: ['https://auth.example.com', 'https://app.example.com', 'https://example.com:8443'],
      });
      expect(loadConfig({ ...base, APP_URL: 'https://auth.example.com' }).webauthn).toEqual({
        rpId: 'auth.example.com',
        origins: ['https://auth.example.com'],
      });
    });

    it('read a loopback APP_URL as localhost outside production, and refuse an IP otherwise', () => {
      expect(loadConfig({ ...base, APP_URL: 'http://127.0.0.1:4800' }).webauthn).toEqual({
        rpId: 'localhost',
        origins: ['http://127.0.0.1:4800', 'http://localhost:4800'],
      });
      const lan = refusal({ ...base, APP_URL: 'http://192.0.2.7:3000' });
      expect(lan).toContain('WEBAUTHN_RP_ID');
      expect(lan).toContain('192.0.2.7');
      expect(lan).not.toContain('\n');
      const production = refusal({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db/auth',
        ENCRYPTION_KEY: KEY,
        APP_URL: 'http://127.0.0.1:3000',
      });
      expect(production).toContain('WEBAUTHN_RP_ID');
      const named = loadConfig({ ...base, APP_URL: 'http://192.0.2.7:3000', WEBAUTHN_RP_ID: 'intranet.test' });
      expect(named.webauthn.rpId).toBe('intranet.test');
    });
  });

  describe('SAML_SP_PRIVATE_KEY and SAML_SP_CERT', () => {
    const sp = selfSigned({ commonName: 'sp' });
    const other = selfSigned({ commonName: 'other' });

    it('reads the pair, with real or escaped line breaks', () => {
      const config = loadConfig({ ...base, SAML_SP_PRIVATE_KEY: sp.key, SAML_SP_CERT: sp.cert });
      expect(config.samlSp?.cert.replace(/\s/g, '')).toBe(sp.cert.replace(/\s/g, ''));
      expect(config.samlSp?.privateKey).toContain('-----BEGIN PRIVATE KEY-----');
      const escaped = loadConfig({
        ...base,
        SAML_SP_PRIVATE_KEY: sp.key.replace(/\n/g, '\\n'),
        SAML_SP_CERT: sp.cert.replace(/\n/g, '\\n'),
      });
      expect(escaped.samlSp).toEqual(config.samlSp);
    });

    it.each([
      ['SAML_SP_PRIVATE_KEY', () => ({ SAML_SP_CERT: sp.cert })],
      ['SAML_SP_CERT', () => ({ SAML_SP_PRIVATE_KEY: sp.key })],
      ['SAML_SP_PRIVATE_KEY', () => ({ SAML_SP_PRIVATE_KEY: 'not a key', SAML_SP_CERT: sp.cert })],
      ['SAML_SP_CERT', () => ({ SAML_SP_PRIVATE_KEY: sp.key, SAML_SP_CERT: sp.key })],
      ['SAML_SP_CERT', () => ({ SAML_SP_PRIVATE_KEY: sp.key, SAML_SP_CERT: other.cert })],
    ])('refuses a bad or half pair naming %s in one line, never the key', (name, env) => {
      const message = refusal({ ...base, ...env() });
      expect(message).toContain(name);
      expect(message).not.toContain('\n');
      expect(message).not.toContain(sp.key.split('\n')[1]);
    });

    it('refuses a key that is not RSA', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
      expect(refusal({ ...base, SAML_SP_PRIVATE_KEY: key, SAML_SP_CERT: sp.cert })).toContain('RSA');
    });
  });

  it('generates a development encryption key into DATA_DIR once and keeps it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'authd-config-'));
    const first = loadConfig({ DATA_DIR: dataDir });
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(first.encryptionKey).toHaveLength(32);
    expect(second.encryptionKey.equals(first.encryptionKey)).toBe(true);
    const file = join(dataDir, 'encryption.key');
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64').equals(first.encryptionKey)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0);
    // Named in the start-up refusal when the database was sealed under another key.
    expect(first.encryptionKeyFile).toBe(file);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
