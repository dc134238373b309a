import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { isMalformedBodyError, routeErrorBody } from './body-parsers';
import { isDatabaseUnavailable } from './database-errors';
import { describeError } from './describe-error';
import { DomainError, ErrorCode, errorBody } from './errors';

/** How long a client should wait before trying again when the database cannot serve it. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'service_unavailable',
};

/** The one place errors become HTTP: every answer has the error body of docs/api.md and never a stack trace. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const error = this.toDomainError(exception);
    if (error.code === 'service_unavailable') {
      this.logger.warn({ error: describeError(exception), msg: 'database unavailable' });
    } else if (error.status >= 500) {
      this.logger.error({ error: describeError(exception), msg: 'request failed' });
    }
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    // Already answered, e.g. by a passport strategy's redirect: there is nothing left to say.
    if (httpAdapter.isHeadersSent(response)) return;
    const { retryAfterSeconds, ...body } = errorBody(error);
    if (typeof retryAfterSeconds === 'number') {
      httpAdapter.setHeader(response, 'Retry-After', String(retryAfterSeconds));
    }
    const own = routeErrorBody(host.switchToHttp().getRequest());
    if (own) {
      const answer = own(error);
      httpAdapter.setHeader(response, 'Content-Type', answer.contentType);
      httpAdapter.reply(response, answer.body, answer.status);
      return;
    }
    httpAdapter.reply(response, body, error.status);
  }

  private toDomainError(exception: unknown): DomainError {
    if (exception instanceof DomainError) return exception;
    if (isDatabaseUnavailable(exception)) {
      return new DomainError('service_unavailable', { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS });
    }
    const status = exception instanceof HttpException ? exception.getStatus() : frameworkStatus(exception);
    if (status !== undefined) {
      const code = STATUS_CODES[status];
      if (code === 'not_found') return new DomainError(code, {}, { message: 'No such route.' });
      if (code) return new DomainError(code);
      // Any other 4xx keeps its status; its message comes from our own code, never from input.
      if (status >= 400 && status < 500) return new DomainError('bad_request', {}, { status });
    }
    return new DomainError('internal_error');
  }
}

/**
 * The status of what Fastify refuses before any route runs (FST_ERR_CTP_BODY_TOO_LARGE is 413, a
 * malformed URL 400, ...) and of a request body that cannot be read; undefined for anything else.
 */
function frameworkStatus(exception: unknown): number | undefined {
  if (isMalformedBodyError(exception)) return 400;
  const { code, statusCode } = (exception ?? {}) as { code?: unknown; statusCode?: unknown };
  return typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' ? statusCode : undefined;
}
