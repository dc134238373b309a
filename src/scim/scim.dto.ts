import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { ScimTokenSummary } from './scim.repository';
import type { CreatedScimToken } from './scim-tokens.service';

export class CreateScimTokenDto {
  @ApiProperty({ example: 'Okta', minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
}

export class ScimTokenDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: string | null;

  static of(token: ScimTokenSummary): ScimTokenDto {
    return {
      id: token.id,
      name: token.name,
      createdAt: token.createdAt.toISOString(),
      lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    };
  }
}

export class CreatedScimTokenDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({
    description: 'shown this once; the IdP sends it as `Authorization: Bearer scim_…` to `${APP_URL}/scim/v2`',
    example: 'scim_3q2-7wEhxY0mYbqH0Qn8V3fS1Kc4u9rA6bZ2dLp5tGo',
  })
  token: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(created: CreatedScimToken): CreatedScimTokenDto {
    return { id: created.id, name: created.name, token: created.token, createdAt: created.createdAt.toISOString() };
  }
}

/** The shapes of the SCIM bodies, for the OpenAPI document (the routes read them as RFC 7643 says, case-insensitively). */
export class ScimUserBodyDto {
  @ApiProperty({ example: ['urn:ietf:params:scim:schemas:core:2.0:User'] }) schemas: string[];
  @ApiProperty({ example: 'ada@acme.example', description: 'an address of the organization’s verified domain' })
  userName: string;
  @ApiPropertyOptional({ example: '00u1abcd2EFGH3ijk4l5' }) externalId?: string;
  @ApiPropertyOptional({ example: { givenName: 'Ada', familyName: 'Lovelace' } }) name?: Record<string, string>;
  @ApiPropertyOptional({ example: 'Ada Lovelace' }) displayName?: string;
  @ApiPropertyOptional({ example: [{ value: 'ada@acme.example', type: 'work', primary: true }] })
  emails?: Array<Record<string, unknown>>;
  @ApiPropertyOptional({ example: true }) active?: boolean;
}

export class ScimGroupBodyDto {
  @ApiProperty({ example: ['urn:ietf:params:scim:schemas:core:2.0:Group'] }) schemas: string[];
  @ApiProperty({ example: 'Engineering' }) displayName: string;
  @ApiPropertyOptional({ example: [{ value: '6f1c9a52-6f5e-4c1e-9f65-1f1c2a6d3b10' }] })
  members?: Array<Record<string, unknown>>;
  @ApiPropertyOptional({ example: 'engineering-group' }) externalId?: string;
}

export class ScimPatchDto {
  @ApiProperty({ example: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] }) schemas: string[];
  @ApiProperty({ example: [{ op: 'replace', path: 'active', value: false }] })
  Operations: Array<Record<string, unknown>>;
}
