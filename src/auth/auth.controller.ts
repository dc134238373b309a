import { Body, Controller, HttpCode, HttpStatus, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { NoBody } from '../common/no-body.pipe';
import { AppConfig } from '../config';
import { RateLimitByIp } from '../rate-limit/rate-limit.guard';
import { UserDto } from '../users/user.dto';
import { SessionDto } from '../sessions/sessions.dto';
import { AuthResultDto, ForgotPasswordDto, LoginDto, ResetPasswordDto, SignupDto } from './auth.dto';
import { PasswordFlowsService } from './password-flows.service';
import { Authenticated, SignInService } from './sign-in.service';
import {
  AllowPendingDeletion,
  AllowUnverified,
  CurrentSession,
  Public,
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
    private readonly passwords: PasswordFlowsService,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('signup')
  @RateLimitByIp('signupPerIp')
  @ApiCreatedResponse({ type: AuthResultDto, description: 'The account and its first session; the cookie is set.' })
  @ApiBadRequestResponse({ description: '`weak_password` or `validation_failed`' })
  @ApiConflictResponse({ description: '`email_taken`' })
  async signup(
    @Body() body: SignupDto,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<AuthResultDto> {
    return this.answer(await this.signIn.signup(body, client), res);
  }

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @RateLimitByIp('loginAttemptsPerIp')
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
    return this.answer(await this.signIn.login(body, client), res);
  }

  @Post('logout')
  @AllowUnverified()
  @AllowPendingDeletion()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiCookieAuth()
  @ApiNoContentResponse({
    description: 'The session is revoked and the cookie cleared; `Clear-Site-Data: "cookies"` clears the others.',
  })
  async logout(
    @NoBody() _: undefined,
    @CurrentSession() auth: SessionAuth,
    @Client() client: ClientInfo,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<void> {
    await this.signIn.logout(auth, client);
    clearSessionCookie(res, this.config);
    clearSiteCookies(res);
  }

  @Public()
  @Post('password/forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  @RateLimitByIp('passwordForgotPerIp')
  @ApiAcceptedResponse({ description: 'Always, whether or not the account exists; a reset mail if it does.' })
  async forgotPassword(@Body() body: ForgotPasswordDto, @Client() client: ClientInfo): Promise<void> {
    await this.passwords.forgotPassword(body.email, client);
  }

  @Public()
  @Post('password/reset')
  @HttpCode(HttpStatus.OK)
  @RateLimitByIp('passwordResetPerIp')
  @ApiOkResponse({ description: 'The password is changed and every session of the user revoked.' })
  @ApiBadRequestResponse({ description: '`invalid_token` or `weak_password`' })
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
