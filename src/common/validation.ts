import { ValidationError, ValidationPipe } from '@nestjs/common';
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
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
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
