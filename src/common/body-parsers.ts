import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { DomainError, ErrorCode, ValidationDetail, validationFailed } from './errors';

const BODY_LIMIT = '64kb';

/** What body-parser names its failures; they happen before any route, so they are mapped here. */
const PARSER_ERRORS: Record<string, ErrorCode> = {
  'entity.parse.failed': 'invalid_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'entity.verify.failed': 'validation_failed',
  'request.aborted': 'validation_failed',
  'request.size.invalid': 'validation_failed',
  'stream.encoding.set': 'validation_failed',
  'parameters.too.many': 'payload_too_large',
};

function mapped(parser: RequestHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) =>
    parser(req, res, (error?: unknown) => {
      if (error === undefined) return next();
      const code = PARSER_ERRORS[(error as { type?: string }).type ?? ''];
      next(code ? new DomainError(code) : error);
    });
}

/**
 * A request body must be JSON. Anything else answers 415, which also closes login CSRF: a
 * cross-site HTML form can send form-encoded or text/plain bodies without a CORS preflight, but
 * never application/json.
 */
function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  next(hasBody && !req.is('application/json') ? new DomainError('unsupported_media_type') : undefined);
}

/** Keys that mean something to JavaScript objects rather than to us. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Text PostgreSQL cannot store (NUL) and keys that reach into object prototypes are bad input:
 * 400 validation_failed, never a 500 from the database or a polluted object.
 */
function problemIn(value: unknown, path: string, depth = 0): ValidationDetail | undefined {
  if (typeof value === 'string') {
    return value.includes('\u0000') ? { field: path, problems: ['must not contain a NUL character'] } : undefined;
  }
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return { field, problems: [`property ${key} should not exist`] };
    const problem = problemIn(child, field, depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

function rejectUnsafeValues(req: Request, _res: Response, next: NextFunction): void {
  const problem = req.body === undefined ? undefined : problemIn(req.body, '');
  next(problem ? validationFailed([problem]) : undefined);
}

export function bodyParsers(): RequestHandler[] {
  return [requireJson, mapped(json({ limit: BODY_LIMIT })), rejectUnsafeValues];
}
