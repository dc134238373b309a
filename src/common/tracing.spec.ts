import { ConfigError, loadTracingConfig } from '../config';
import { startTracing } from './tracing';

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
