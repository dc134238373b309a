import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { ORG_ROLES } from '../organizations/organizations.service';
import type { OrgRole } from '../organizations/organizations.service';
import type { SamlProvider } from './sso.entity';
import { IsEmailAddress } from '../common/email-address';
import type { DomainVerificationRecord } from './sso-domains.service';
import type { Discovery } from './sso-enforcement.service';
import type { SsoUrls } from './sp-metadata';
import type { SamlDryRun } from './sso-login.service';

const MAX_PEM = 16_384;

/** A PEM string, or a non-empty array of them (the certificates are checked by the service). */
function IsPemOrPems(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPemOrPems',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.length <= MAX_PEM) ||
          (Array.isArray(value) &&
            value.length > 0 &&
            value.every((item) => typeof item === 'string' && item.length <= MAX_PEM)),
        defaultMessage: () => '$property must be a PEM certificate or an array of them',
      },
    },
    options,
  );
}

/** What every SSO connection is set up with, whatever its protocol. */
export abstract class ConnectionSettingsDto {
  @ApiProperty({
    example: 'example.com',
    description: 'the email domain whose users sign in through this identity provider',
  })
  @IsString()
  @MaxLength(253)
  domain: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', enum: ORG_ROLES },
    example: { admins: 'admin' },
    description: 'identity provider group → role; the highest mapped role wins at each sign-in',
  })
  @IsOptional()
  @IsObject()
  groupRoleMap?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'member', enum: ORG_ROLES, default: 'member' })
  @IsOptional()
  @IsIn(ORG_ROLES)
  defaultRole?: OrgRole;

  @ApiPropertyOptional({
    example: false,
    default: false,
    description: 'refuse passwords for the domain once it is verified',
  })
  @IsOptional()
  @IsBoolean()
  enforce?: boolean;
}

export class SaveSamlProviderDto extends ConnectionSettingsDto {
  @ApiPropertyOptional({
    example: 'https://idp.example.com/metadata',
    maxLength: 1024,
    description: 'with idpSsoUrl and idpCert, unless idpMetadataXml is given',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  idpEntityId?: string;

  @ApiPropertyOptional({
    example: 'https://idp.example.com/sso',
    maxLength: 2048,
    description: 'the IdP sign-on URL (HTTP-Redirect binding)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  idpSsoUrl?: string;

  @ApiPropertyOptional({
    example: '-----BEGIN CERTIFICATE-----\nMIIC…\n-----END CERTIFICATE-----',
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'the IdP signing certificate (PEM), or several while it rolls its key over',
  })
  @IsOptional()
  @IsPemOrPems()
  idpCert?: string | string[];

  @ApiPropertyOptional({
    description: "the IdP's SAML metadata, instead of idpEntityId, idpSsoUrl and idpCert",
  })
  @IsOptional()
  @IsString()
  @MaxLength(60_000)
  idpMetadataXml?: string;

  @ApiPropertyOptional({
    example: 'groups',
    type: String,
    nullable: true,
    maxLength: 256,
    description: 'the attribute listing groups',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  groupsAttribute?: string | null;

  @ApiPropertyOptional({
    example: true,
    default: true,
    description: 'require the Response signed as well (assertions always are)',
  })
  @IsOptional()
  @IsBoolean()
  requireSignedResponse?: boolean;
}

export class DomainVerificationRecordDto {
  @ApiProperty({ enum: ['TXT'] }) type: 'TXT';
  @ApiProperty({ example: '_auth-verification.example.com' }) name: string;
  @ApiProperty({ example: 'auth-verification=…' }) value: string;
}

/** The provider object (docs/api.md, Organizations). */
export class SamlProviderDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() domain: string;
  @ApiProperty() domainVerified: boolean;
  @ApiProperty() idpEntityId: string;
  @ApiProperty() idpSsoUrl: string;
  @ApiProperty({ type: String, nullable: true }) groupsAttribute: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: ORG_ROLES } })
  groupRoleMap: Record<string, OrgRole>;
  @ApiProperty({ enum: ORG_ROLES }) defaultRole: OrgRole;
  @ApiProperty() enforce: boolean;
  @ApiProperty() spEntityId: string;
  @ApiProperty() acsUrl: string;
  @ApiProperty() metadataUrl: string;
  @ApiProperty({ type: DomainVerificationRecordDto }) domainVerificationRecord: DomainVerificationRecordDto;

  static of(provider: SamlProvider, urls: SsoUrls, record: DomainVerificationRecord): SamlProviderDto {
    return {
      id: provider.id,
      domain: provider.domain,
      domainVerified: provider.domainVerifiedAt !== null,
      idpEntityId: provider.idpEntityId,
      idpSsoUrl: provider.idpSsoUrl,
      groupsAttribute: provider.groupsAttribute,
      groupRoleMap: provider.groupRoleMap,
      defaultRole: provider.defaultRole,
      enforce: provider.enforce,
      spEntityId: urls.spEntityId,
      acsUrl: urls.acsUrl,
      metadataUrl: urls.metadataUrl,
      domainVerificationRecord: { type: record.type, name: record.name, value: record.value },
    };
  }
}

export class DiscoverDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email' })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;
}

export class DiscoveryDto {
  @ApiProperty() sso: boolean;
  @ApiPropertyOptional({ description: 'where to start signing in, when sso is true' }) loginUrl?: string;

  static of(discovery: Discovery): DiscoveryDto {
    return discovery.sso ? { sso: true, loginUrl: discovery.loginUrl } : { sso: false };
  }
}

/** What an IdP's page posts to the ACS (HTTP-POST binding), form-encoded. */
export class SamlPostDto {
  @ApiProperty({ example: 'PHNhbWxwOlJlc3BvbnNlIC4uLg==', description: "the IdP's base64-encoded SAML Response" })
  SAMLResponse: string;

  @ApiPropertyOptional({
    example: 'c2FtbC1yZXF1ZXN0LWlk',
    description: 'echoed by the IdP when the AuthnRequest carried one (ignored)',
  })
  RelayState?: string;
}

/** A test sign-in through a provider whose domain is not verified yet: what it asserted, and what it would give. */
export class SamlDryRunDto {
  @ApiProperty({ example: true, description: 'always true: nobody was signed in and nothing was created' })
  dryRun: true;
  @ApiProperty({ format: 'uuid' }) providerId: string;
  @ApiProperty({ example: '00u1abcd2EFGH3ijk4l5' }) nameId: string;
  @ApiProperty({ type: String, nullable: true, example: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' })
  nameIdFormat: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'jane@example.com', description: 'as asserted' })
  email: string | null;
  @ApiProperty({ description: "whether that is an address of the provider's domain, as a sign-in needs" })
  emailInDomain: boolean;
  @ApiProperty({ type: [String], example: ['staff'] }) groups: string[];
  @ApiProperty({ enum: ORG_ROLES, description: 'the role the groups map to in the organization' })
  role: string;

  static of(dryRun: SamlDryRun): SamlDryRunDto {
    return { dryRun: true, ...dryRun };
  }
}
