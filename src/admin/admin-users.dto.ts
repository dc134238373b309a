import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength, NotContains } from 'class-validator';
import { SessionListingDto } from '../sessions/sessions.dto';
import type { UserRecord } from '../users/user-record';
import { UserDto, userView } from '../users/user.dto';
import { PageQuery } from './cursor';

/** The User object with what operators need beside it (docs/api.md, Admin API). */
export class AdminUserDto extends UserDto {
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'an operator locked the account' })
  lockedAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: "an organization's directory deactivated the account",
  })
  suspendedAt: string | null;

  static ofRecord(user: UserRecord): AdminUserDto {
    return {
      ...UserDto.of(userView(user)),
      lockedAt: user.lockedAt?.toISOString() ?? null,
      suspendedAt: user.suspendedAt?.toISOString() ?? null,
    };
  }
}

export class LockUserDto {
  @ApiProperty({
    example: 'Chargeback fraud reported by support ticket 4821',
    minLength: 1,
    maxLength: 500,
    description: 'why, for other operators (kept with the account and in the audit log)',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason: string;
}

export class ListUsersQuery extends PageQuery {
  @ApiPropertyOptional({
    description: 'an address prefix (normalised like addresses: case does not matter) or an exact user id',
    example: 'ada@',
    maxLength: 320,
  })
  @IsOptional()
  @IsString()
  @MaxLength(320)
  // PostgreSQL stores no NUL: without this the search answered 500.
  @NotContains('\u0000', { message: 'q must not contain a NUL character' })
  q?: string;
}

/** A row of the operators' listing: the User, its restrictions, and its latest sign-in. */
export class AdminUserListItemDto extends AdminUserDto {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'the latest sign-in (or signup); null when the account never signed in',
  })
  lastSignInAt: string | null;

  static ofListed(user: UserRecord, lastSignInAt: Date | undefined): AdminUserListItemDto {
    return { ...AdminUserDto.ofRecord(user), lastSignInAt: lastSignInAt?.toISOString() ?? null };
  }
}

export class AdminUserPageDto {
  @ApiProperty({ type: [AdminUserListItemDto] }) data: AdminUserListItemDto[];

  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last' })
  nextCursor: string | null;
}

export class AdminOrganizationDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['owner', 'admin', 'member'] }) role: string;
}

export class AdminFactorsDto {
  @ApiProperty({ description: 'an authenticator app (TOTP) is on' }) totp: boolean;
  @ApiProperty({ description: 'how many passkeys are registered' }) passkeys: number;
}

export class AdminSsoIdentityDto {
  @ApiProperty({ format: 'uuid', description: 'the SSO connection (SAML or OIDC)' }) providerId: string;
  @ApiProperty({ example: 'example.com' }) domain: string;
  @ApiProperty({ description: "the provider's name for the person: SAML NameID or OIDC `sub`" }) nameId: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) lastLoginAt: string;
}

export class AdminUserDetailsDto extends AdminUserListItemDto {
  @ApiProperty({ type: String, nullable: true, description: 'why an operator locked the account' })
  lockReason: string | null;

  @ApiProperty({ type: [SessionListingDto], description: 'the live sessions (`current` is always false here)' })
  sessions: SessionListingDto[];

  @ApiProperty({ type: [AdminOrganizationDto] }) organizations: AdminOrganizationDto[];
  @ApiProperty({ type: AdminFactorsDto }) factors: AdminFactorsDto;
  @ApiProperty({ type: [AdminSsoIdentityDto] }) ssoIdentities: AdminSsoIdentityDto[];
}

export class DeleteUserDto {
  @ApiPropertyOptional({
    description: 'erase the account now instead of after the grace period',
    default: false,
    example: false,
  })
  @IsOptional()
  @IsBoolean()
  immediate?: boolean;
}

export class AdminDeletionDto {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'when the account will be erased (grace period); null when it was erased now',
  })
  deletionScheduledFor: string | null;

  @ApiProperty({ description: 'the account is already erased (`immediate: true`)' })
  deleted: boolean;
}
