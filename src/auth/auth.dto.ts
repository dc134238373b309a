import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { SessionDto } from '../sessions/sessions.dto';
import { UserDto } from '../users/user.dto';
import { IsEmailAddress } from '../common/email-address';

export class SignupDto {
  @ApiProperty({ format: 'email', maxLength: 320 })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128, description: 'not a common or easily guessed password' })
  @IsString()
  password: string;

  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;
}

export class LoginDto {
  @ApiProperty({ format: 'email' })
  @IsString()
  @MaxLength(320)
  email: string;

  @ApiProperty()
  @IsString()
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({ description: 'authenticator code, or a recovery code' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  totpCode?: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ format: 'email' })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'the token from the reset link' })
  @IsString()
  @MaxLength(256)
  token: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  newPassword: string;
}

export class AuthResultDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ type: SessionDto }) session: SessionDto;
}

export class ChangePasswordDto {
  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString()
  newPassword: string;
}

export class RotatedSessionDto {
  @ApiProperty({ type: SessionDto, description: 'the current session with its new token' }) session: SessionDto;
}
