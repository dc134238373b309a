import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { User } from './user.entity';

/** A user as requests see it: everything but the password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string | null;
  emailVerifiedAt: Date | null;
  twoFactorEnabled: boolean;
  hasPassword: boolean;
  ssoProviderId: string | null;
  createdAt: Date;
  deletionScheduledFor: Date | null;
}

export function userView(user: User): UserView {
  const { passwordHash, ...rest } = user;
  return {
    id: rest.id,
    email: rest.email,
    name: rest.name,
    emailVerifiedAt: rest.emailVerifiedAt,
    twoFactorEnabled: rest.twoFactorEnabled,
    hasPassword: passwordHash !== null,
    ssoProviderId: rest.ssoProviderId,
    createdAt: rest.createdAt,
    deletionScheduledFor: rest.deletionScheduledFor,
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
  @ApiProperty({ minLength: 1, maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
}

/** Email addresses compare trimmed and lower-cased everywhere. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
