import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, ValidateIf } from 'class-validator';
import { SessionDto } from '../sessions/sessions.dto';
import type { Confirmation } from './step-up.service';

/** One of the factors the step-up 403 lists in `methods`: the password, or a code (which two-factor accounts need). */
export class ConfirmDto {
  @ApiPropertyOptional({ example: 'correct horse battery staple' })
  // Absent is optional; null is a wrong type (the service tells the two factors apart by presence).
  @ValidateIf((body: ConfirmDto) => body.password !== undefined)
  @IsString()
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({
    description:
      'authenticator code, or a recovery code; confirms alone, or beside the password (with two-factor on the password alone does not confirm)',
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
