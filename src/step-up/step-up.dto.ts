import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, ValidateIf } from 'class-validator';
import { SessionDto } from '../sessions/sessions.dto';
import type { Confirmation } from './step-up.service';

/** The factors the step-up 403 lists in `methods`: the password, and beside it a code when two-factor is on. */
export class ConfirmDto {
  @ApiPropertyOptional({ example: 'correct horse battery staple' })
  // Absent is optional; null is a wrong type (the service tells the two factors apart by presence).
  @ValidateIf((body: ConfirmDto) => body.password !== undefined)
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({
    description:
      'authenticator code, or a recovery code; with two-factor on it goes beside the password (alone for an account without a password)',
  })
  @ValidateIf((body: ConfirmDto) => body.totpCode !== undefined)
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
