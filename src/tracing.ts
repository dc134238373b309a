import { startTracing, Tracer } from './common/tracing';
import { ConfigError, loadTracingConfigFromEnv } from './config';

/**
 * Imported first by main.ts: with OTEL_EXPORTER_OTLP_ENDPOINT set, the tracer starts before `http`
 * and `pg` are loaded, so that their instrumentations see them load. A bad value starts nothing
 * here; main.ts reports it with the rest of the configuration.
 */
export const tracer: Tracer | undefined = (() => {
  try {
    return startTracing(loadTracingConfigFromEnv());
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
})();
