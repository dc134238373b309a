import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, onRequestHookHandler, onResponseHookHandler } from 'fastify';
import pino from 'pino';
import { AppConfig } from '../config';
import { describeError } from './describe-error';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * JSON logs. Requests are logged by method, path (never the query string), status and id; no
 * header, cookie or body is ever serialised, and the redaction below catches secrets passed to a
 * log call by mistake.
 */
export function createLogger(config: AppConfig, destination?: pino.DestinationStream): pino.Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'password',
        'newPassword',
        'token',
        'totpCode',
        'code',
        'secret',
        'key',
        'cookie',
        'authorization',
      ].flatMap((field) => [field, `*.${field}`]),
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Nest's routine start-up lines (each module initialised, each controller and route mapped, the
 * application started): about sixty of them, useful when debugging the wiring, noise otherwise.
 */
const ROUTINE_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** Nest's own logs (start-up, errors) through the same JSON logger; its routine lines at debug. */
export class JsonLogger implements LoggerService {
  constructor(private readonly logger: pino.Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && ROUTINE_CONTEXTS.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest passes the context (the logger's name) last; an Error's stack may come before it. */
  private write(level: pino.Level, message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    if (message instanceof Error) this.logger[level]({ context, error: describeError(message) }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message });
    else this.logger[level]({ context }, String(message));
  }
}

/** A well-formed incoming X-Request-Id is kept; anything else is replaced by a fresh id. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Answers each request's id (see requestIdOf, Fastify's genReqId) in X-Request-Id and logs one
 * line when the response is finished. Nothing is allocated for the log line when info is off.
 */
export function requestLogger(logger: pino.Logger): {
  onRequest: onRequestHookHandler;
  onResponse: onResponseHookHandler;
} {
  // The request line holds only the fields logRequest names (id, method, path, status, time), never
  // a secret, so it skips the redaction every other line gets: the wildcard paths made pino clone
  // and walk the req and res objects of every request.
  const lines = logger.child({}, { redact: [] });
  return {
    onRequest: (request, reply, done) => {
      reply.header('X-Request-Id', request.id);
      done();
    },
    onResponse: (request, reply, done) => {
      if (lines.isLevelEnabled('info')) logRequest(lines, request, reply);
      done();
    },
  };
}

/** What load balancers and orchestrators call every few seconds: no line each. */
const PROBES = new Set(['/health', '/health/live', '/health/ready']);

function logRequest(logger: pino.Logger, request: FastifyRequest, reply: FastifyReply): void {
  // The path of the request target, never its query string.
  const query = request.url.indexOf('?');
  const path = query === -1 ? request.url : request.url.slice(0, query);
  if (PROBES.has(path)) return;
  const { id, method } = request;
  logger.info(
    { req: { id, method, path }, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime) },
    `${method} ${reply.statusCode}`,
  );
}
