import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { ERRORS, ErrorCode } from '../common/errors';

export const ERROR_SCHEMA_NAME = 'Error';
export const ERROR_CODE_SCHEMA_NAME = 'ErrorCode';

export const ERROR_REF: ReferenceObject = { $ref: `#/components/schemas/${ERROR_SCHEMA_NAME}` };
export const SCIM_ERROR_SCHEMA_NAME = 'ScimError';
export const SCIM_ERROR_REF: ReferenceObject = { $ref: `#/components/schemas/${SCIM_ERROR_SCHEMA_NAME}` };

/** RFC 7644 §3.12: the body of every error on /scim/v2. */
export function scimErrorSchema(): SchemaObject {
  return {
    type: 'object',
    required: ['schemas', 'status', 'detail'],
    properties: {
      schemas: { type: 'array', items: { type: 'string', enum: ['urn:ietf:params:scim:api:messages:2.0:Error'] } },
      status: { type: 'string', description: 'The HTTP status, as a string.', example: '400' },
      scimType: {
        type: 'string',
        enum: [
          'invalidFilter',
          'tooMany',
          'uniqueness',
          'mutability',
          'invalidSyntax',
          'invalidPath',
          'noTarget',
          'invalidValue',
          'invalidVers',
          'sensitive',
        ],
      },
      detail: { type: 'string', description: 'A sentence for humans.' },
    },
  };
}

/** Every `error` code the API answers with, straight from ERRORS: a new code is documented by existing. */
export function errorCodeSchema(): SchemaObject {
  return {
    type: 'string',
    enum: Object.keys(ERRORS),
    description: 'What went wrong, for programs: a stable snake_case code (the HTTP status is the same for a code).',
  };
}

/** The error body of docs/api.md: three fields always, and the extra fields some codes carry. */
export function errorSchema(): SchemaObject {
  return {
    type: 'object',
    required: ['statusCode', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer', minimum: 400, maximum: 599, example: 403 },
      error: { $ref: `#/components/schemas/${ERROR_CODE_SCHEMA_NAME}` },
      message: {
        type: 'string',
        description: 'A sentence for humans; do not parse it.',
        example: ERRORS.step_up_required.message,
      },
      details: {
        type: 'array',
        description: '`validation_failed`: every field that failed, with what is wrong with it.',
        items: {
          type: 'object',
          required: ['field', 'problems'],
          properties: {
            field: { type: 'string', example: 'email' },
            problems: { type: 'array', items: { type: 'string' }, example: ['email must be an email'] },
          },
        },
      },
      reason: {
        type: 'string',
        description: '`session_expired`: why the session ended (`idle`, `absolute`, `revoked`).',
        example: 'idle',
      },
      resendUrl: {
        type: 'string',
        description: '`email_not_verified`: where to ask for the link again.',
        example: '/auth/resend-verification',
      },
      confirmUrl: {
        type: 'string',
        description: '`step_up_required`: where to re-authenticate.',
        example: '/auth/confirm',
      },
      methods: {
        type: 'array',
        description: '`step_up_required`: the ways this user can confirm.',
        items: { type: 'string', enum: ['password', 'totp', 'sso'] },
        example: ['password', 'totp'],
      },
      maxAgeSeconds: {
        type: 'integer',
        description: '`step_up_required`: how long a confirmation counts (STEP_UP_WINDOW).',
        example: 300,
      },
      ssoUrl: {
        type: 'string',
        description: '`step_up_required`, when `methods` holds `sso`: where to sign in again through the organization.',
      },
      loginUrl: {
        type: 'string',
        description: '`sso_required`: where this address signs in (its identity provider).',
      },
      cancelUrl: {
        type: 'string',
        description: '`account_pending_deletion`: where to cancel the deletion.',
        example: '/me/deletion/cancel',
      },
      deletionScheduledFor: {
        type: 'string',
        format: 'date-time',
        description: '`account_pending_deletion`: when the account will be deleted.',
      },
    },
  };
}

/** The error codes a response's description names in backticks (`step_up_required`, ...). */
export function codesNamedIn(description: string | undefined): ErrorCode[] {
  const named = [...(description ?? '').matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
  return [...new Set(named)].filter((code): code is ErrorCode => code in ERRORS);
}

/** One example body per code, so the documentation shows each answer a response stands for. */
export function errorExamples(status: number, codes: ErrorCode[]): Record<string, { value: Record<string, unknown> }> {
  return Object.fromEntries(
    codes.map((code) => [code, { value: { statusCode: status, error: code, message: ERRORS[code].message } }]),
  );
}
