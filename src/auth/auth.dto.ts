import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { SessionDto } from '../sessions/sessions.dto';
import { UserDto } from '../users/user.dto';
import { IsEmailAddress } from '../common/email-address';
import { IsPasswordLength } from '../users/password.service';
import { IsPlainName } from '../common/display-name';

export class SignupDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 320 })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;

  @ApiProperty({
    example: 'correct horse battery staple',
    minLength: 8,
    maxLength: 128,
    description: 'not a common or easily guessed password',
  })
  @IsString()
  @IsPasswordLength()
  password: string;

  @ApiPropertyOptional({
    example: 'Ada Lovelace',
    maxLength: 100,
    description: 'plain text: no web address, domain name, line break or control character',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @IsPlainName()
  name?: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email' })
  @IsString()
  @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString()
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({ example: '123456', description: 'authenticator code, or a recovery code' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  totpCode?: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email' })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ example: 'bm90LWEtcmVhbC10b2tlbi1qdXN0LWFuLWV4YW1wbGU', description: 'the token from the reset link' })
  @IsString()
  @MaxLength(256)
  token: string;

  @ApiProperty({ example: 'a new long passphrase', minLength: 8, maxLength: 128 })
  @IsString()
  newPassword: string;
}

export class AuthResultDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ type: SessionDto }) session: SessionDto;
}

export class ChangePasswordDto {
  @ApiProperty({ example: 'a new long passphrase', minLength: 8, maxLength: 128 })
  @IsString()
  @IsPasswordLength()
  newPassword: string;

  @ApiPropertyOptional({
    default: false,
    description: 'also revoke every API key of the account (a password reset always does)',
  })
  @IsOptional()
  @IsBoolean()
  revokeApiKeys?: boolean;
}

export class RotatedSessionDto {
  @ApiProperty({ type: SessionDto, description: 'the current session with its new token' }) session: SessionDto;
}
