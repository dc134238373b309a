import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { registerBodyParsers } from './common/body-parsers';
import { fastifyTrustProxy } from './common/client-info';
import { corsFor } from './common/cors';
import { createLogger, JsonLogger, requestIdOf, requestLogger } from './common/logging';
import { ErrorFilter } from './common/error.filter';
import { Metrics, requestDurationHooks } from './common/metrics';
import { spanRouteNames } from './common/tracing';
import { docsSecurityHeaders, noSniff, noStoreByDefault } from './http';
import { createValidationPipe } from './common/validation';
import { buildOpenApiDocument } from './openapi/document';
import { AppConfig } from './config';
import { EncryptionKeys } from './encryption';

/**
 * The Fastify instance behind the app. Paths match case-insensitively and with or without a
 * trailing slash; TRUST_PROXY decides which X-Forwarded-For hops give the client IP. Fastify
 * sends neither X-Powered-By nor ETag, and does not log by itself.
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // A path parameter is as long as the URL allows: a bad id answers 404, not 414.
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 16 * 1024 },
    // app.close() ends keep-alive connections too, rather than waiting for clients to drop them.
    forceCloseConnections: true,
    // Node's own timeouts: left to Fastify's defaults, idle connections would stay 72 s and no
    // request would ever time out.
    keepAliveTimeout: 5_000,
    requestTimeout: 300_000,
    requestIdHeader: false,
    genReqId: requestIdOf,
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const answer = routerErrorHandlers.get(request.server);
      if (answer) answer(error, request, reply);
      else void reply.send(error);
    },
    clientErrorHandler: answerAsNodeDoes,
  });
}

type RouterErrorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;

/**
 * How configureApp answers what Fastify's router refuses before any hook runs (a URL that does
 * not decode): with the request id, CORS and log line every request gets, and through the
 * ErrorFilter (400 validation_failed).
 */
const routerErrorHandlers = new WeakMap<FastifyInstance, RouterErrorHandler>();

const NODE_CLIENT_ERRORS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * A request that is not HTTP gets Node's own bare answer (as before), not Fastify's JSON one; no
 * bytes are added to a response already under way.
 */
function answerAsNodeDoes(error: NodeJS.ErrnoException, socket: Socket): void {
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const status = NODE_CLIENT_ERRORS[error.code ?? ''] ?? 400;
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`, 'ascii');
  }
  socket.destroy(error);
}

/** Everything about the HTTP app that is not a module: shared by the server and the tests. */
export function configureApp(app: NestFastifyApplication, config: AppConfig, logDestination?: DestinationStream): void {
  const logger = createLogger(config, logDestination);
  app.useLogger(new JsonLogger(logger));
  const fastify = app.getHttpAdapter().getInstance();
  const requests = requestLogger(logger);
  const cors = corsFor(config.trustedOrigins);
  fastify.addHook('onRequest', noSniff);
  fastify.addHook('onRequest', requests.onRequest);
  fastify.addHook('onResponse', requests.onResponse);
  fastify.addHook('onRequest', cors);
  fastify.addHook('onSend', noStoreByDefault);
  const durations = requestDurationHooks(app.get(Metrics).requests);
  fastify.addHook('onRoute', durations.onRoute);
  fastify.addHook('onResponse', durations.onResponse);
  if (config.tracing) fastify.addHook('onRoute', spanRouteNames());
  routerErrorHandlers.set(fastify, (error, request, reply) => {
    reply.raw.once('finish', () => requests.onResponse.call(fastify, request, reply, () => undefined));
    noSniff.call(fastify, request, reply, () =>
      requests.onRequest.call(fastify, request, reply, () =>
        cors.call(fastify, request, reply, () => fastify.errorHandler(error, request, reply)),
      ),
    );
  });
  registerBodyParsers(fastify);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter(app.get(HttpAdapterHost)));
  setUpOpenApi(app, config);
}

function setUpOpenApi(app: NestFastifyApplication, config: AppConfig): void {
  // The UI page, its script and the YAML document name their charset (Fastify adds it to JSON and
  // plain text only), and carry the UI's CSP. Only the /docs routes
  // carry these hooks.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (route) => {
      if (route.url === '/docs' || route.url.startsWith('/docs/')) {
        route.onSend = [route.onSend ?? []].flat().concat(withUtf8Charset, docsSecurityHeaders);
      }
    });
  const document = buildOpenApiDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
  });
}

const TEXT_WITHOUT_CHARSET = /^(text\/[^;]+|application\/javascript)$/i;

const withUtf8Charset: onSendHookHandler = (_request, reply, payload, done) => {
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && TEXT_WITHOUT_CHARSET.test(type))
    reply.header('Content-Type', `${type}; charset=utf-8`);
  done(null, payload);
};

/**
 * The HTTP app on an already migrated database, its encryption key checked against the database's
 * (EncryptionKeyMismatch, the app closed, when it is not the one the data was sealed with); nothing
 * is served and no task runs before.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), createHttpAdapter(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  configureApp(app, config);
  try {
    await app.get(EncryptionKeys).verifyAtStart();
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
