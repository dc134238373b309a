import { ValidationError, ValidationPipe, type Type } from '@nestjs/common';
import { DomainError, ValidationDetail, validationFailed } from './errors';

/**
 * The constraint a password field's length rule registers under (IsPasswordLength in users). When it
 * is the only thing wrong with a body, the answer is the contract's `weak_password`; beside other
 * problems it is one more entry in `validation_failed`'s details, so every field is reported at once.
 */
export const PASSWORD_LENGTH_CONSTRAINT = 'passwordLength';

function constraintNames(errors: ValidationError[]): string[] {
  return errors.flatMap((error) => [...Object.keys(error.constraints ?? {}), ...constraintNames(error.children ?? [])]);
}

function flatten(errors: ValidationError[], prefix = ''): ValidationDetail[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    // A required field left out breaks every rule on it ("must be a string", "must be shorter than…");
    // what the client needs to hear is that it is missing.
    const problems =
      error.value === undefined ? [`${error.property} is required`] : Object.values(error.constraints ?? {});
    const own = error.constraints ? [{ field, problems }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Unknown fields are refused, not stripped: a client that sends one has a bug worth hearing about. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const names = constraintNames(errors);
      if (names.length > 0 && names.every((name) => name === PASSWORD_LENGTH_CONSTRAINT)) {
        return new DomainError('weak_password');
      }
      return validationFailed(flatten(errors));
    },
  });
}

/** What a body check found, carried out of the pipe instead of answered. */
class BodyProblems extends Error {
  constructor(readonly details: ValidationDetail[]) {
    super('body problems');
  }
}

const collectingPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  stopAtFirstError: false,
  exceptionFactory: (errors) => new BodyProblems(flatten(errors)),
});

/**
 * The global pipe's checks of a body, for a route whose service has checks of its own to report in
 * the same answer: the valid body, or the body as sent (its fields untyped) with what was wrong.
 */
export async function checkBody<T extends object>(
  type: Type<T>,
  body: unknown,
): Promise<{ value: T; problems: [] } | { value: Partial<Record<keyof T, unknown>>; problems: ValidationDetail[] }> {
  try {
    return { value: (await collectingPipe.transform(body, { type: 'body', metatype: type })) as T, problems: [] };
  } catch (error) {
    if (!(error instanceof BodyProblems)) throw error;
    const value = body !== null && typeof body === 'object' && !Array.isArray(body) ? body : {};
    return { value: value as Partial<Record<keyof T, unknown>>, problems: error.details };
  }
}
