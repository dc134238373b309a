import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { ORG_ROLES } from '../organizations/organizations.service';
import type { PublicJwk } from './signing-keys.service';
import type { Introspection, IssuedAccessToken } from './tokens.service';

export class AccessTokenDto {
  @ApiProperty({
    description:
      'A JWT (ES256, header `kid`) with `iss`, `aud`, `sub`, `sid`, `email`, `email_verified`, `orgs`, `amr`, `auth_time`, `iat`, `exp` and `jti`; verify it with the keys of `/.well-known/jwks.json`',
    example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Ii4uLiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
  })
  token: string;

  @ApiProperty({ format: 'date-time', description: 'its `exp`' })
  expiresAt: string;

  static of(issued: IssuedAccessToken): AccessTokenDto {
    return { token: issued.token, expiresAt: issued.expiresAt.toISOString() };
  }
}

export class JwkDto {
  @ApiProperty({ example: 'EC' }) kty: string;
  @ApiProperty({ example: 'P-256' }) crv: string;
  @ApiProperty() x: string;
  @ApiProperty() y: string;
  @ApiProperty({ description: 'the RFC 7638 thumbprint of the key; the JWT header names it' }) kid: string;
  @ApiProperty({ example: 'ES256' }) alg: string;
  @ApiProperty({ enum: ['sig'] }) use: 'sig';
}

export class JwksDto {
  @ApiProperty({ type: [JwkDto] })
  keys: PublicJwk[];
}

export class IntrospectDto {
  @ApiProperty({
    description: 'a session token or a user API key (`ak_…`)',
    example: 'q3Xb0f1v2P5s0kq8k2s1Yk8m9t7c4Vw3n2Ha1Jd0ZsE',
    maxLength: 512,
  })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  token: string;
}

export class IntrospectionDto {
  @ApiProperty({ description: 'whether the token works now; when false, no other field is present' })
  active: boolean;

  @ApiPropertyOptional({ format: 'uuid', description: 'the user' }) sub?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'the session; null for an API key',
  })
  sid?: string | null;

  @ApiPropertyOptional() email?: string;
  @ApiPropertyOptional() email_verified?: boolean;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: ORG_ROLES },
    description: '`{orgId: role}` of every organization the user belongs to',
  })
  orgs?: Record<string, string>;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description:
      'seconds since the epoch: when the session token stops working unless used again (idle timeout, at most its absolute end); null for an API key',
  })
  exp?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description:
      'seconds since the epoch: the session’s last authentication (sign-in or confirmation); null for an API key',
  })
  auth_time?: number | null;

  static of(introspection: Introspection): IntrospectionDto {
    return introspection;
  }
}
