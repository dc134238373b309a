import { Param, PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { DomainError } from '../common/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A path id that is not a UUID names nothing, so it answers 404 like a missing one (never 400, and
 * never a query PostgreSQL would refuse). For guards, which run before pipes.
 */
export function parseId(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new DomainError('not_found');
  return value;
}

/**
 * Async on purpose, like the ParseUUIDPipe it replaces: Nest resolves a handler's parameters
 * concurrently and answers with the first to fail, and a bad body has always been answered (400)
 * before a bad id; a synchronous throw here would overtake it and turn that answer into a 404.
 */
class ParseIdPipe implements PipeTransform<unknown, Promise<string>> {
  async transform(value: unknown): Promise<string> {
    return parseId(value);
  }
}

const parseIdPipe = new ParseIdPipe();

/**
 * `@IdParam('id') id: string`: the route parameter, a UUID, else 404 `not_found`. The OpenAPI
 * document says so (`format: uuid`).
 */
export const IdParam =
  (name: string): ParameterDecorator =>
  (target, key, index) => {
    Param(name, parseIdPipe)(target, key, index);
    if (key === undefined) return;
    const descriptor = Object.getOwnPropertyDescriptor(target, key);
    if (descriptor) ApiParam({ name, type: String, format: 'uuid' })(target, key, descriptor);
  };
