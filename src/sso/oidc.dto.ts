import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { ORG_ROLES } from '../organizations/organizations.service';
import type { OrgRole } from '../organizations/organizations.service';
import { ConnectionSettingsDto, DomainVerificationRecordDto } from './sso.dto';
import type { DomainVerificationRecord } from './sso-domains.service';
import type { SsoDryRun } from './sso-sign-in.service';
import type { OidcConnection } from './sso.repository';

export class SaveOidcConnectionDto extends ConnectionSettingsDto {
  @ApiProperty({
    example: 'https://login.example.com',
    maxLength: 2048,
    description:
      "the OP's issuer; its discovery document (`/.well-known/openid-configuration`) is fetched and checked at save. https, or http for a loopback host",
  })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  issuer: string;

  @ApiProperty({ example: '0oa1b2c3d4', maxLength: 512, description: 'the client id the OP registered' })
  @IsString()
  @MinLength(1)
  @MaxLength(512)
  clientId: string;

  @ApiProperty({
    example: 's3cr3t-from-the-op',
    maxLength: 1024,
    description: 'the client secret; kept encrypted and never answered back',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  clientSecret: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['openid', 'email', 'profile', 'groups'],
    default: ['openid', 'email', 'profile'],
    description: 'the scopes asked for; must include openid',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  scopes?: string[];

  @ApiPropertyOptional({
    example: 'groups',
    type: String,
    nullable: true,
    default: 'groups',
    maxLength: 256,
    description: 'the claim listing groups (an array, or a space-separated string); null for none',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  groupsClaim?: string | null;
}

/** The OIDC connection object (never its secret). */
export class OidcConnectionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['oidc'] }) protocol: 'oidc';
  @ApiProperty({ example: 'example.com' }) domain: string;
  @ApiProperty() domainVerified: boolean;
  @ApiProperty({ example: 'https://login.example.com' }) issuer: string;
  @ApiProperty({ example: '0oa1b2c3d4' }) clientId: string;
  @ApiProperty({ type: [String], example: ['openid', 'email', 'profile'] }) scopes: string[];
  @ApiProperty({ type: String, nullable: true, example: 'groups' }) groupsClaim: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: ORG_ROLES } })
  groupRoleMap: Record<string, OrgRole>;
  @ApiProperty({ enum: ORG_ROLES }) defaultRole: OrgRole;
  @ApiProperty() enforce: boolean;
  @ApiProperty({
    example: 'https://auth.example.com/auth/oidc/5b0c…/callback',
    description: 'the redirect URI to register at the OP for this client',
  })
  redirectUri: string;
  @ApiProperty({ type: DomainVerificationRecordDto }) domainVerificationRecord: DomainVerificationRecordDto;

  static of(connection: OidcConnection, redirectUri: string, record: DomainVerificationRecord): OidcConnectionDto {
    return {
      id: connection.id,
      protocol: 'oidc',
      domain: connection.domain,
      domainVerified: connection.domainVerifiedAt !== null,
      issuer: connection.issuer,
      clientId: connection.clientId,
      scopes: connection.scopes,
      groupsClaim: connection.groupsAttribute,
      groupRoleMap: connection.groupRoleMap,
      defaultRole: connection.defaultRole,
      enforce: connection.enforce,
      redirectUri,
      domainVerificationRecord: { type: record.type, name: record.name, value: record.value },
    };
  }
}

/** A test sign-in through a connection whose domain is not verified yet: what the OP said, and what it would give. */
export class OidcDryRunDto {
  @ApiProperty({ example: true, description: 'always true: nobody was signed in and nothing was created' })
  dryRun: true;
  @ApiProperty({ format: 'uuid' }) providerId: string;
  @ApiProperty({ example: '00u1abcd2EFGH3ijk4l5', description: 'the ID token’s `sub`' }) subject: string;
  @ApiProperty({ type: String, nullable: true, example: 'jane@example.com', description: 'as the OP gave it' })
  email: string | null;
  @ApiProperty({ description: "whether that is an address of the connection's domain, as a sign-in needs" })
  emailInDomain: boolean;
  @ApiProperty({ type: [String], example: ['staff'] }) groups: string[];
  @ApiProperty({ enum: ORG_ROLES, description: 'the role the groups map to in the organization' })
  role: string;

  static of(dryRun: SsoDryRun): OidcDryRunDto {
    return { dryRun: true, ...dryRun };
  }
}
