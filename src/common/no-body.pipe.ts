import { Body, PipeTransform } from '@nestjs/common';
import { validationFailed } from './errors';

/** For routes that take no body: any field sent is an unknown field, answered 400 (docs/api.md, Conventions). */
class RejectFields implements PipeTransform {
  transform(value: unknown): undefined {
    const fields = value && typeof value === 'object' ? Object.keys(value) : [];
    if (fields.length > 0) {
      throw validationFailed(fields.map((field) => ({ field, problems: [`property ${field} should not exist`] })));
    }
    return undefined;
  }
}

/** `@NoBody() _: undefined` on a handler that reads no body. */
export const NoBody = () => Body(new RejectFields());
