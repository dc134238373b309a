import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { ApiKeySummary, CreatedApiKey } from './api-keys.service';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'CI deploys', minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'ak_Xb3kT9' }) prefix: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastUsedAt: string | null;

  static of(key: ApiKeySummary): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      createdAt: key.createdAt.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    };
  }
}

export class CreatedApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() prefix: string;
  @ApiProperty({ description: 'shown this once; send it as `Authorization: Bearer ak_…`' }) key: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static of(created: CreatedApiKey): CreatedApiKeyDto {
    return {
      id: created.id,
      name: created.name,
      prefix: created.prefix,
      key: created.key,
      createdAt: created.createdAt.toISOString(),
    };
  }
}
