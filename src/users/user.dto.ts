import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { UserView } from '../http';
import { User } from './user.entity';
import { IsPlainName } from '../common/display-name';

export function userView(user: User): UserView {
  const { id, email, name, emailVerifiedAt, twoFactorEnabled, ssoProviderId, createdAt, deletionScheduledFor } = user;
  const hasPassword = user.passwordHash !== null;
  return {
    id,
    email,
    name,
    emailVerifiedAt,
    twoFactorEnabled,
    hasPassword,
    ssoProviderId,
    createdAt,
    deletionScheduledFor,
  };
}

/**
 * The columns of a UserView under the alias `u`, for the hot-path lookups (session, API key) that
 * read the user in the same query as their own row.
 */
export const USER_VIEW_COLUMNS = `u.id AS u_id, u.email AS u_email, u.name AS u_name,
  u.password_hash IS NOT NULL AS u_has_password, u.email_verified_at AS u_email_verified_at,
  u.two_factor_enabled AS u_two_factor_enabled, u.sso_provider_id AS u_sso_provider_id,
  u.deletion_scheduled_for AS u_deletion_scheduled_for, u.created_at AS u_created_at`;

export interface UserViewRow {
  u_id: string;
  u_email: string;
  u_name: string | null;
  u_has_password: boolean;
  u_email_verified_at: Date | null;
  u_two_factor_enabled: boolean;
  u_sso_provider_id: string | null;
  u_deletion_scheduled_for: Date | null;
  u_created_at: Date;
}

export function userViewFromRow(row: UserViewRow): UserView {
  return {
    id: row.u_id,
    email: row.u_email,
    name: row.u_name,
    emailVerifiedAt: row.u_email_verified_at,
    twoFactorEnabled: row.u_two_factor_enabled,
    hasPassword: row.u_has_password,
    ssoProviderId: row.u_sso_provider_id,
    deletionScheduledFor: row.u_deletion_scheduled_for,
    createdAt: row.u_created_at,
  };
}

/** The User object of API.md. */
export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty() emailVerified: boolean;
  @ApiProperty() twoFactorEnabled: boolean;
  @ApiProperty() hasPassword: boolean;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) ssoProviderId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deletionScheduledFor: string | null;

  static of(user: UserView): UserDto {
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      emailVerified: user.emailVerifiedAt !== null,
      twoFactorEnabled: user.twoFactorEnabled,
      hasPassword: user.hasPassword,
      ssoProviderId: user.ssoProviderId,
      createdAt: user.createdAt.toISOString(),
      deletionScheduledFor: user.deletionScheduledFor?.toISOString() ?? null,
    };
  }
}

export class UpdateProfileDto {
  @ApiProperty({
    example: 'Ada Lovelace',
    minLength: 1,
    maxLength: 100,
    description: 'plain text: no web address, domain name, line break or control character',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @IsPlainName()
  name: string;
}

export { normalizeEmail } from '../common/email-address';
