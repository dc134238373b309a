import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { SessionDto } from '../sessions/sessions.dto';
import type { Confirmation } from './step-up.service';

/** The factors the step-up 403 lists in `methods`: the password, and beside it a code when two-factor is on. */
export class ConfirmDto {
  @ApiPropertyOptional({ example: 'correct horse battery staple' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({
    description:
      'authenticator code, or a recovery code; with two-factor on it goes beside the password (alone for an account without a password)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  totpCode?: string;
}

export class ConfirmationDto {
  @ApiProperty({ format: 'date-time' }) reauthenticatedAt: string;
  @ApiProperty({ format: 'date-time' }) stepUpExpiresAt: string;
  @ApiProperty({ type: SessionDto, description: 'the rotated session: the old token no longer works' })
  session: SessionDto;

  static of(confirmation: Confirmation): ConfirmationDto {
    return {
      reauthenticatedAt: confirmation.reauthenticatedAt.toISOString(),
      stepUpExpiresAt: confirmation.stepUpExpiresAt.toISOString(),
      session: SessionDto.of(confirmation.session),
    };
  }
}
