/**
 * Every error the API answers with: its HTTP status and the sentence a human reads. The filter maps
 * a DomainError through this table, so a code without an entry does not compile.
 */
export const ERRORS = {
  validation_failed: { status: 400, message: 'The request is invalid.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  unauthenticated: { status: 401, message: 'Authentication is required.' },
  not_found: { status: 404, message: 'Not found.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  unsupported_media_type: { status: 415, message: 'Send the request body as application/json.' },
  too_many_requests: { status: 429, message: 'Too many requests; try again later.' },
  internal_error: { status: 500, message: 'Something went wrong on our side.' },
  service_unavailable: { status: 503, message: 'The service is unavailable; try again shortly.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Extra fields that travel in the error body beside statusCode, error and message. */
export type ErrorExtra = Record<string, unknown>;

/** Thrown by services; never an HTTP exception. The filter turns it into API.md's body. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly extra: ErrorExtra = {},
    message?: string,
  ) {
    super(message ?? ERRORS[code].message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

export interface ErrorBody {
  statusCode: number;
  error: ErrorCode;
  message: string;
  [extra: string]: unknown;
}

export function errorBody(error: DomainError): ErrorBody {
  return { ...error.extra, statusCode: error.status, error: error.code, message: error.message };
}
