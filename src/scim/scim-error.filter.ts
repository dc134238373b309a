import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { isDatabaseUnavailable, isForeignKeyViolation, isUniqueViolation } from '../common/database-errors';
import { describeError } from '../common/describe-error';
import type { RouteErrorBody } from '../common/body-parsers';
import { DomainError, ErrorCode } from '../common/errors';
import { ScimError, ScimType } from './scim-error';
import { SCIM_MEDIA_TYPE } from './scim-resources';

/** Domain errors as SCIM reads them: the status stays, a 400 says which scimType it is. */
const SCIM_TYPES: Partial<Record<ErrorCode, ScimType>> = {
  validation_failed: 'invalidValue',
  invalid_json: 'invalidSyntax',
  email_taken: 'uniqueness',
};

/**
 * Every error of a /scim/v2 route answers the SCIM error body (RFC 7644 §3.12) as
 * application/scim+json, whatever raised it: the token guard, a parser, a service or the database.
 */
@Catch()
export class ScimErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Scim');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (reply.sent) return;
    const error = this.toScimError(exception);
    if (error.status >= 500) this.logger.error({ error: describeError(exception), msg: 'SCIM request failed' });
    if (error.status === 503) void reply.header('Retry-After', '5');
    void reply.status(error.status).header('Content-Type', SCIM_MEDIA_TYPE).send(error.body());
  }

  private toScimError(exception: unknown): ScimError {
    if (exception instanceof ScimError) return exception;
    if (exception instanceof DomainError) {
      const status = exception.status;
      return new ScimError(
        status,
        status === 400 || status === 409 ? SCIM_TYPES[exception.code] : undefined,
        exception.message,
      );
    }
    // Two requests of the directory racing for one name or id: the later one lost, nothing half-written.
    if (isUniqueViolation(exception))
      return ScimError.conflict('A resource with this name or id was created meanwhile.');
    if (isForeignKeyViolation(exception)) {
      return new ScimError(409, undefined, 'A resource this request names was removed meanwhile; try again.');
    }
    if (isDatabaseUnavailable(exception))
      return new ScimError(503, undefined, 'The service is unavailable; try again shortly.');
    const status = exception instanceof HttpException ? exception.getStatus() : frameworkStatus(exception);
    if (status === 404) return ScimError.notFound('No such route.');
    if (status !== undefined && status >= 400 && status < 500) {
      return new ScimError(status, status === 400 ? 'invalidSyntax' : undefined, 'The request cannot be served.');
    }
    return new ScimError(500, undefined, 'Something went wrong on our side.');
  }
}

export function scimErrorOf(error: DomainError): ScimError {
  const status = error.status;
  const detail =
    error.code === 'unsupported_media_type'
      ? 'Send the request body as application/scim+json (or application/json).'
      : error.message;
  return new ScimError(status, status === 400 || status === 409 ? SCIM_TYPES[error.code] : undefined, detail);
}

/** For the ErrorFilter (ERROR_BODY): what fails before a SCIM route's own filter runs, as SCIM says it. */
export const scimErrorBody: RouteErrorBody = (error) => ({
  status: error.status,
  body: scimErrorOf(error).body(),
  contentType: SCIM_MEDIA_TYPE,
});

function frameworkStatus(exception: unknown): number | undefined {
  const { code, statusCode } = (exception ?? {}) as { code?: unknown; statusCode?: unknown };
  return typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' ? statusCode : undefined;
}
