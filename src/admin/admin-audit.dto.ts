import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQuery } from './cursor';

export class AuditQuery extends PageQuery {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'rows where this user acted or was acted upon (as target, or named in the details)',
  })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'rows about this organization' })
  @IsOptional()
  @IsUUID()
  orgId?: string;

  @ApiPropertyOptional({ example: 'user.login', description: 'one action, e.g. `user.login` or `admin.request`' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, { message: 'action must be an action name such as user.login' })
  action?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'rows written at or after this time' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'rows written before this time' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  until?: string;
}

type AuditDetailsValue = string | number | boolean | null;

export class AuditEntryDto {
  @ApiProperty({
    format: 'int64',
    description: 'grows with every row (a 64-bit integer, as a string)',
    example: '1042',
  })
  id: string;
  @ApiProperty({ example: 'user.login' }) action: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the account that acted; null for the system or an admin key (then `details.adminKeyId`)',
  })
  actorId: string | null;

  @ApiProperty({ type: String, nullable: true }) ip: string | null;
  @ApiProperty({ type: String, nullable: true }) userAgent: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'user:3f1c…', description: 'what was acted upon' })
  target: string | null;

  @ApiProperty({
    type: 'object',
    nullable: true,
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }], nullable: true },
  })
  details: Record<string, AuditDetailsValue> | null;

  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto] }) data: AuditEntryDto[];

  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last' })
  nextCursor: string | null;
}
