import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
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

/** Nest's own logs (start-up, errors) through the same JSON logger. */
export class JsonLogger implements LoggerService {
  constructor(private readonly logger: pino.Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
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

export interface RequestWithId extends Request {
  id?: string;
}

/**
 * Tags each request with an id (a well-formed incoming X-Request-Id is kept) and logs one line when
 * it finishes. Nothing is allocated for the log line when info is off.
 */
export function requestLogger(logger: pino.Logger) {
  return (req: RequestWithId, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    if (logger.isLevelEnabled('info') && req.path !== '/health') {
      const started = performance.now();
      res.once('finish', () => {
        const responseTime = Math.round(performance.now() - started);
        logger.info(
          { req: { id, method: req.method, path: req.path }, res: { statusCode: res.statusCode }, responseTime },
          `${req.method} ${res.statusCode}`,
        );
      });
    }
    next();
  };
}
