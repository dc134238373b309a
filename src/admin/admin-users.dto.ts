import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { UserRecord } from '../users/user-record';
import { UserDto, userView } from '../users/user.dto';

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
