import { ConfigError, loadTracingConfig } from '../config';
import { redactedQuery, startTracing } from './tracing';

describe('startTracing', () => {
  it('loads nothing and starts nothing without an endpoint', () => {
    const load = jest.fn();
    expect(startTracing(loadTracingConfig({}), 'authd', load)).toBeUndefined();
    expect(startTracing(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }), 'authd', load)).toBeUndefined();
    expect(load).not.toHaveBeenCalled();
  });

  it('reads the endpoint without a trailing slash, and refuses what is not an http(s) URL', () => {
    expect(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4318/' })).toEqual({
      endpoint: 'https://otel.example.com:4318',
    });
    expect(() => loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })).toThrow(ConfigError);
  });
});

describe('redactedQuery', () => {
  it('keeps the names of a query and none of its values', () => {
    expect(redactedQuery('/sign-in/email?token=abc&returnTo=%2Fx&flag')).toBe('token=REDACTED&returnTo=REDACTED&flag');
    expect(redactedQuery('/auth/oidc/1/callback?code=c&state=s')).toBe('code=REDACTED&state=REDACTED');
    expect(redactedQuery('/me')).toBeUndefined();
    expect(redactedQuery(undefined)).toBeUndefined();
  });
});
