import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { AppConfig } from '../config';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * JSON logs. Requests are logged by method, path (never the query string), status and id; no
 * header, cookie or body is ever serialised, and the redaction below catches secrets passed to a
 * log call by mistake.
 */
export function loggerOptions(config: AppConfig): pino.LoggerOptions {
  return {
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
}

export function createLogger(config: AppConfig): pino.Logger {
  return pino(loggerOptions(config));
}

export function loggingModule(): DynamicModule {
  return LoggerModule.forRootAsync({
    inject: [AppConfig],
    useFactory: (config: AppConfig) => ({
      pinoHttp: {
        ...loggerOptions(config),
        genReqId: (req: IncomingMessage, res: ServerResponse) => {
          const incoming = req.headers['x-request-id'];
          const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
          res.setHeader('X-Request-Id', id);
          return id;
        },
        serializers: {
          req: (req: { id: string; method: string; url: string }) => ({
            id: req.id,
            method: req.method,
            path: req.url.split('?')[0],
          }),
          res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        },
        customSuccessMessage: (req: IncomingMessage, res: ServerResponse) => `${req.method} ${res.statusCode}`,
        autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
      },
    }),
  });
}
