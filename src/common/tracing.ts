import type * as Api from '@opentelemetry/api';
import type * as Core from '@opentelemetry/core';
import type * as ExporterOtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Instrumentation from '@opentelemetry/instrumentation';
import type * as InstrumentationHttp from '@opentelemetry/instrumentation-http';
import type * as InstrumentationPg from '@opentelemetry/instrumentation-pg';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkTraceNode from '@opentelemetry/sdk-trace-node';
import type * as SemanticConventions from '@opentelemetry/semantic-conventions';
import type { onRequestHookHandler, onRouteHookHandler } from 'fastify';
import type { Tracing } from '../config';

/** The running tracer: flushes the spans still buffered, then stops. */
export interface Tracer {
  shutdown(): Promise<void>;
}

/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, traces of the HTTP requests served (and made) and of the pg
 * queries, exported over OTLP/HTTP (JSON) to `<endpoint>/v1/traces` in batches. Unset, nothing of
 * OpenTelemetry is loaded: the packages are required here, on this call only. It must run before
 * `http` and `pg` are first loaded (main.ts imports it first), since the instrumentations patch
 * them as they load. `load` is `require`, replaceable to watch what is loaded.
 */
export function startTracing(
  settings: Tracing | undefined,
  serviceName = 'authd',
  load: (name: string) => unknown = require,
): Tracer | undefined {
  if (!settings) return undefined;
  const { NodeTracerProvider, BatchSpanProcessor } = load('@opentelemetry/sdk-trace-node') as typeof SdkTraceNode;
  const { OTLPTraceExporter } = load('@opentelemetry/exporter-trace-otlp-http') as typeof ExporterOtlpHttp;
  const { resourceFromAttributes } = load('@opentelemetry/resources') as typeof Resources;
  const { ATTR_SERVICE_NAME } = load('@opentelemetry/semantic-conventions') as typeof SemanticConventions;
  const { registerInstrumentations } = load('@opentelemetry/instrumentation') as typeof Instrumentation;
  const { HttpInstrumentation } = load('@opentelemetry/instrumentation-http') as typeof InstrumentationHttp;
  const { PgInstrumentation } = load('@opentelemetry/instrumentation-pg') as typeof InstrumentationPg;

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${settings.endpoint}/v1/traces` }))],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      // The probes a load balancer sends every few seconds are no trace worth keeping.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => /^\/health(\/(live|ready))?\/?(\?|$)/.test(request.url ?? ''),
        // Query strings carry one-time secrets (sign-in, verification and reset links, OIDC codes): their
        // values never leave in a span, only the names.
        requestHook: (span, request) => {
          if ('socket' in request && 'headers' in request && !('path' in request)) {
            const query = redactedQuery((request as { url?: string }).url);
            if (query !== undefined) span.setAttribute('url.query', query);
            return;
          }
          const { protocol, host, path } = request as { protocol?: string; host?: string; path?: string };
          const query = redactedQuery(path);
          if (query !== undefined && path) {
            span.setAttribute('url.full', `${protocol ?? 'http:'}//${host ?? ''}${path.split('?')[0]}?${query}`);
          }
        },
      }),
      // Statement text only: parameters hold addresses and hashes.
      new PgInstrumentation({ enhancedDatabaseReporting: false }),
    ],
  });
  return { shutdown: () => provider.shutdown() };
}

/**
 * With tracing on, gives each route an onRequest hook that names the request's span by its route
 * template (`GET /orgs/:id`, attribute `http.route`), never by the raw path.
 */
export function spanRouteNames(load: (name: string) => unknown = require): onRouteHookHandler {
  const { context } = load('@opentelemetry/api') as typeof Api;
  const { getRPCMetadata, RPCType } = load('@opentelemetry/core') as typeof Core;
  return (route) => {
    const template = route.url;
    const name: onRequestHookHandler = (_request, _reply, done) => {
      const metadata = getRPCMetadata(context.active());
      if (metadata?.type === RPCType.HTTP) metadata.route = template;
      done();
    };
    route.onRequest = [...[route.onRequest ?? []].flat(), name];
  };
}

/** The query of a request target with every value replaced; undefined when it has none. */
export function redactedQuery(target: string | undefined): string | undefined {
  const at = target?.indexOf('?') ?? -1;
  if (!target || at < 0) return undefined;
  return target
    .slice(at + 1)
    .split('&')
    .map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=REDACTED` : pair))
    .join('&');
}
