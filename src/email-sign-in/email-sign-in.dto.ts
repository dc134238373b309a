import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsEmailAddress } from '../common/email-address';
import { MAX_RETURN_TO_LENGTH } from '../http/return-to';
import { SessionDto } from '../sessions/sessions.dto';
import { UserDto } from '../users/user.dto';
import type { UserView } from '../http';
import type { IssuedSession } from '../sessions/sessions.service';

/** An email sign-in done. */
export interface EmailSignedIn {
  user: UserView;
  session: IssuedSession;
  /** The address had no account: this sign-in made one, verified and without a password. */
  created: boolean;
  /** The same-origin path asked for at the start, for the built-in page to go to. */
  returnTo: string | null;
}

export class StartEmailSignInDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 320 })
  @IsEmailAddress()
  @MaxLength(320)
  email: string;

  @ApiPropertyOptional({
    example: '/settings',
    maxLength: MAX_RETURN_TO_LENGTH,
    description: 'a path on APP_URL where the built-in sign-in page goes afterwards (default `/`)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_RETURN_TO_LENGTH)
  returnTo?: string;
}

/**
 * `{token}` from the link, or `{email, code}` from the mail; `totpCode` when the account has two-factor
 * on. Whatever is sent is checked (a null is no string), and without a token the address and the code
 * are required.
 */
export class VerifyEmailSignInDto {
  @ApiPropertyOptional({
    example: 'bm90LWEtcmVhbC10b2tlbi1qdXN0LWFuLWV4YW1wbGU',
    description: 'the token from the mailed link (or send `email` and `code`)',
  })
  @ValidateIf(
    (body: VerifyEmailSignInDto) => body.token !== undefined || (body.email === undefined && body.code === undefined),
  )
  @IsString()
  @MaxLength(256)
  token?: string;

  @ApiPropertyOptional({ example: 'ada@example.com', format: 'email', description: 'with `code`' })
  @ValidateIf((body: VerifyEmailSignInDto) => body.token === undefined || body.email !== undefined)
  @IsString()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ example: '042137', description: 'the 6-digit code from the mail, with `email`' })
  @ValidateIf((body: VerifyEmailSignInDto) => body.token === undefined || body.code !== undefined)
  @IsString()
  @MaxLength(32)
  code?: string;

  @ApiPropertyOptional({ example: '123456', description: 'authenticator code, or a recovery code' })
  @ValidateIf((body: VerifyEmailSignInDto) => body.totpCode !== undefined)
  @IsString()
  @MaxLength(64)
  totpCode?: string;
}

export class EmailSignInResultDto {
  @ApiProperty({ type: UserDto }) user: UserDto;
  @ApiProperty({ type: SessionDto }) session: SessionDto;
  @ApiProperty({ description: 'the address had no account: this sign-in created it (verified, no password)' })
  created: boolean;

  static of({ user, session, created }: EmailSignedIn): EmailSignInResultDto {
    return { user: UserDto.of(user), session: SessionDto.of(session), created };
  }
}
