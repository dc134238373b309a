import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsString, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { PasskeyAssertionDto } from '../passkeys/passkeys.dto';
import { SessionDto } from '../sessions/sessions.dto';
import type { Confirmation } from './step-up.service';

/**
 * One of the factors the step-up 403 lists in `methods`: the password, a code (which two-factor
 * accounts need, beside the password or alone) or a passkey.
 */
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

  @ApiPropertyOptional({
    type: PasskeyAssertionDto,
    description:
      'a passkey’s answer to the options of POST /auth/passkey/options asked with this session; confirms alone (a passkey is two factors)',
  })
  @ValidateIf((body: ConfirmDto) => body.passkey !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => PasskeyAssertionDto)
  passkey?: PasskeyAssertionDto;

  @ApiPropertyOptional({
    example: '482913',
    description:
      'the 6-digit code POST /auth/confirm/email mailed for this session; for accounts without a password, an authenticator or a passkey; confirms alone',
  })
  @ValidateIf((body: ConfirmDto) => body.emailCode !== undefined)
  @IsString()
  @MaxLength(64)
  emailCode?: string;
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
