import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { UserView } from '../http';
import type { UserRecord } from './user-record';
import { IsPlainName } from '../common/display-name';

export function userView(user: UserRecord): UserView {
  const { id, email, name, emailVerifiedAt, twoFactorEnabled, hasPassword, ssoProviderId, createdAt } = user;
  const { hasPasskey, deletionScheduledFor } = user;
  return {
    id,
    email,
    name,
    emailVerifiedAt,
    twoFactorEnabled,
    hasPassword,
    hasPasskey,
    ssoProviderId,
    createdAt,
    deletionScheduledFor,
  };
}

/** The User object (docs/api.md, Objects). */
export class UserDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty() emailVerified: boolean;
  @ApiProperty() twoFactorEnabled: boolean;
  @ApiProperty() hasPassword: boolean;
  @ApiProperty({ description: 'at least one passkey is registered' }) hasPasskey: boolean;
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
      hasPasskey: user.hasPasskey,
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
