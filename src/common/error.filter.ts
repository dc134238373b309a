import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { describeError } from './describe-error';
import { DomainError, ErrorCode, errorBody } from './errors';

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

/** The one place errors become HTTP: every answer has API.md's body and never a stack trace. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const error = this.toDomainError(exception);
    if (error.status >= 500) this.logger.error({ error: describeError(exception), msg: 'request failed' });
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    const { retryAfterSeconds, ...body } = errorBody(error);
    if (typeof retryAfterSeconds === 'number') {
      httpAdapter.setHeader(response, 'Retry-After', String(retryAfterSeconds));
    }
    httpAdapter.reply(response, body, error.status);
  }

  private toDomainError(exception: unknown): DomainError {
    if (exception instanceof DomainError) return exception;
    if (exception instanceof HttpException) {
      const code = STATUS_CODES[exception.getStatus()];
      if (code === 'not_found') return new DomainError(code, {}, { message: 'No such route.' });
      if (code) return new DomainError(code);
      const status = exception.getStatus();
      // Any other 4xx keeps its status; its message comes from our own code, never from input.
      if (status >= 400 && status < 500) return new DomainError('bad_request', {}, { status });
    }
    return new DomainError('internal_error');
  }
}
