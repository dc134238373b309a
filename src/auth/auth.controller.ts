import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiOperation,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AppConfig } from '../config';
import { RateLimitByIp, RateLimited } from '../rate-limit/rate-limit.guard';
import { UserDto } from '../users/user.dto';
import { SessionDto } from '../sessions/sessions.dto';
import { AuthResultDto, ForgotPasswordDto, LoginDto, ResetPasswordDto, SignupDto } from './auth.dto';
import { PasswordFlowsService } from './password-flows.service';
import { PasswordLogin } from './password-login';
import { PasskeyLogin } from './passkey-login';
import { PasskeyAssertionDto } from '../passkeys/passkeys.dto';
import { Authenticated, SignInService } from './sign-in.service';
import {
  AllowPendingDeletion,
  AllowUnverified,
  OptionalSession,
  Public,
  ToleratesDeadSession,
  clearSessionCookie,
  clearSiteCookies,
  setSessionCookie,
} from '../http';
import type { SessionAuth } from '../http';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly signIn: SignInService,
    private readonly passwordLogin: PasswordLogin,
    private readonly passkeys: PasskeyLogin,
    private readonly passwords: PasswordFlowsService,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('signup')
  @ApiOperation({
    summary: 'Sign up',
    description:
      'Creates the account and its first session (cookie set, token in the body) and mails a verification link. Counts as an authentication for step-up.',
  })
  @RateLimitByIp('signupPerIp')
  @ApiCreatedResponse({ type: AuthResultDto, description: 'The account and its first session; the cookie is set.' })
  @ApiBadRequestResponse({ description: '`weak_password` or `validation_failed`' })
  @ApiConflictResponse({
    description:
      '`email_taken`: an account has the address; one that only moved to it and has not verified it goes back to its previous address instead',
  })
  async signup(
    @Body() body: SignupDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<AuthResultDto> {
    return this.answer(await this.signIn.signup(body, client), res);
  }

  @Public()
  @Post('login')
  @ApiOperation({
    summary: 'Log in',
    description:
      'With email and password, plus `totpCode` (an authenticator or recovery code) when two-factor is on. Sets the session cookie and answers the token.',
  })
  @HttpCode(HttpStatus.OK)
  @RateLimitByIp('loginAttemptsPerIp')
  @RateLimited('loginFailuresPerAccount')
  @ApiOkResponse({ type: AuthResultDto })
  @ApiUnauthorizedResponse({
    description:
      '`invalid_credentials` (the same for an unknown email); with two-factor on, `totp_required` or `invalid_totp`',
  })
  async login(
    @Body() body: LoginDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<AuthResultDto> {
    return this.answer(await this.passwordLogin.login(body, client), res);
  }

  @Public()
  @Post('passkey/login')
  @ApiOperation({
    summary: 'Sign in with a passkey',
    description:
      'With the answer of `navigator.credentials.get()` to the options of POST /auth/passkey/options (no email typed: the passkey names its account). A passkey is two factors: no authenticator code is asked. Sets the session cookie and answers the token; the session lists as `authMethod: "passkey"`.',
  })
  @HttpCode(HttpStatus.OK)
  @RateLimited('passkeyLoginFailuresPerIp')
  @ApiOkResponse({ type: AuthResultDto })
  @ApiUnauthorizedResponse({
    description:
      '`passkey_invalid`: an unknown credential, a bad signature, another origin or relying party, a used or expired challenge, or a signature counter gone backwards',
  })
  @ApiForbiddenResponse({ description: '`sso_required` (with `loginUrl`): the account is of an SSO-enforced domain' })
  async passkeyLogin(
    @Body() body: PasskeyAssertionDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<AuthResultDto> {
    return this.answer(await this.passkeys.login(body, client), res);
  }

  @Post('logout')
  @ApiOperation({
    summary: 'Log out',
    description:
      'Revokes the current session and clears the cookie; a token that a rotation replaced still ends its session, however long ago. Also answers 204 (and clears the cookie) when the session is already dead or unknown: logging out is idempotent.',
  })
  @ToleratesDeadSession()
  @AllowUnverified()
  @AllowPendingDeletion()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({
    description:
      'The session is revoked (if it was live) and the cookie cleared; when a live session ended, `Clear-Site-Data: "cookies"` clears the others.',
  })
  async logout(
    @NoBody() _: undefined,
    @OptionalSession() auth: SessionAuth | undefined,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<void> {
    clearSessionCookie(res, this.config);
    // Only for a session really ended: an empty cross-site post must not wipe the site's cookies.
    if (auth) {
      await this.signIn.logout(auth, client);
      clearSiteCookies(res);
    }
  }

  @Public()
  @Post('password/forgot')
  @ApiOperation({
    summary: 'Ask for a password reset link',
    description:
      'Always 202, whether or not the account exists; a reset link is mailed if it does, unless the account moved to the address and has not verified it.',
  })
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimitByIp('passwordForgotPerIp')
  @RateLimited('passwordForgotPerAccount')
  @ApiAcceptedResponse({ description: 'Always, whether or not the account exists; a reset mail if it does.' })
  async forgotPassword(@Body() body: ForgotPasswordDto, @Client() client: ClientInfo): Promise<void> {
    await this.passwords.forgotPassword(body.email, client);
  }

  @Public()
  @Post('password/reset')
  @ApiOperation({
    summary: 'Reset the password',
    description: 'With the token from the reset link; every session of the user is revoked.',
  })
  @HttpCode(HttpStatus.OK)
  @RateLimitByIp('passwordResetPerIp')
  @ApiOkResponse({ description: 'The password is changed; every session and API key of the user is revoked.' })
  @ApiBadRequestResponse({ description: '`invalid_token` or `weak_password`' })
  @ApiForbiddenResponse({
    description:
      '`sso_required` (with `loginUrl`): the address is of an SSO-enforced domain (a link mailed before enforcement resets nothing)',
  })
  async resetPassword(@Body() body: ResetPasswordDto, @Client() client: ClientInfo): Promise<Record<string, never>> {
    await this.passwords.resetPassword(body.token, body.newPassword, client);
    return {};
  }

  private answer({ user, session }: Authenticated, res: FastifyReply): AuthResultDto {
    setSessionCookie(res, this.config, session.token, session.expiresAt);
    return {
      user: UserDto.of(user),
      session: SessionDto.of(session),
    };
  }
}
