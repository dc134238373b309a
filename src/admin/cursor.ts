import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { validationFailed } from '../common/errors';

/**
 * Keyset cursors, opaque to clients: base64url JSON of the last row's sort key. Anything that does
 * not decode to the expected shape answers 400 `validation_failed` naming `cursor` (never a query
 * PostgreSQL would refuse).
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function decodeCursor<T extends readonly unknown[]>(
  cursor: string,
  isValid: (key: readonly unknown[]) => key is T,
): T {
  let key: unknown;
  try {
    key = BASE64URL.test(cursor) ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || !isValid(key)) {
    throw validationFailed([{ field: 'cursor', problems: ['cursor is not one this API gave out'] }]);
  }
  return key;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The keyset paging every admin listing takes: the previous page's cursor, and how many rows. */
export class PageQuery {
  @ApiPropertyOptional({ description: 'the `nextCursor` of the previous page', maxLength: 512 })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
