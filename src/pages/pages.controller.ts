import { Body, Controller, Get, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PasswordFlowsService } from '../auth/password-flows.service';
import { Client } from '../common/client-info';
import type { ClientInfo } from '../common/client-info';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { EmailLogin } from '../auth/email-login';
import { AcceptFormBody, fromTrustedOrigin, Public, readCookie, setSessionCookie } from '../http';
import { ipSubject } from '../rate-limit/ip-subject';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import { RateLimitName } from '../rate-limit/rate-limits';
import { VerificationService } from '../verification/verification.service';
import { escapeHtml, sendPage, TokenCookie } from '../http/page';

/**
 * The pages the mailed links open when APP_URL is the service itself: `/verify-email`,
 * `/reset-password` and `/sign-in/email`. HTML without JavaScript; the rules stay in
 * VerificationService, PasswordFlowsService and EmailLogin, which the JSON routes use too.
 * A product with its own frontend points APP_URL there and calls POST /auth/verify-email, POST
 * /auth/password/reset and POST /auth/email/verify instead.
 */
@ApiExcludeController()
@Public()
@Controller()
export class PagesController {
  private readonly base: string;
  private readonly verifyCookie: TokenCookie;
  private readonly resetCookie: TokenCookie;
  private readonly signInCookie: TokenCookie;
  private readonly trustedOrigins: Set<string>;

  constructor(
    private readonly config: AppConfig,
    private readonly verification: VerificationService,
    private readonly passwords: PasswordFlowsService,
    private readonly emailLogin: EmailLogin,
    private readonly limiter: RateLimiter,
  ) {
    this.base = new URL(config.appUrl).pathname.replace(/\/+$/, '');
    this.verifyCookie = new TokenCookie('verify_token', `${this.base}/verify-email`, config.secureCookies);
    this.resetCookie = new TokenCookie('reset_token', `${this.base}/reset-password`, config.secureCookies);
    this.signInCookie = new TokenCookie('sign_in_token', `${this.base}/sign-in/email`, config.secureCookies);
    this.trustedOrigins = new Set(config.trustedOrigins);
  }

  /**
   * The token a page's form post may spend: the form is same-origin, so the browser says where it
   * was posted from, and the link's GET left the token in the page's cookie. Otherwise the answer
   * says why, and there is no token.
   */
  private postedToken(
    request: FastifyRequest,
    reply: FastifyReply,
    cookie: TokenCookie,
    title: string,
    link: string,
  ): string | undefined {
    if (!fromTrustedOrigin(request.headers, this.trustedOrigins)) {
      sendPage(reply, {
        status: HttpStatus.FORBIDDEN,
        title,
        body: '<p role="alert">This form can only be sent from its own page.</p>',
      });
      return undefined;
    }
    const stored = readCookie(request, cookie.name);
    if (!stored) sendPage(reply, missingLink(title, link));
    return stored;
  }

  @Get('verify-email')
  async verifyEmail(
    @Query('token') token: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Client() client: ClientInfo,
  ): Promise<void> {
    if (this.tokenToCookie(token, this.verifyCookie, `${this.base}/verify-email`, reply)) return;
    // A HEAD (a link checker, a prefetch) must not spend the link.
    if (request.method === 'HEAD') return sendPage(reply, { title: 'Email verification', body: '' });
    const stored = readCookie(request, this.verifyCookie.name);
    if (!stored) return sendPage(reply, missingLink('Email verification', 'verification'));
    this.verifyCookie.clear(reply);
    try {
      await this.limit('verifyEmailPerIp', client);
      const user = await this.verification.verify(stored, client);
      sendPage(reply, {
        title: 'Email address verified',
        body: `<p role="status">Thank you: <strong>${escapeHtml(user.email)}</strong> is verified. You can close this page and sign in.</p>`,
      });
    } catch (error) {
      sendPage(reply, failure('Email verification', error, 'Sign in and ask for a new verification link.'));
    }
  }

  @Get('reset-password')
  resetPasswordForm(@Query('token') token: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    if (this.tokenToCookie(token, this.resetCookie, `${this.base}/reset-password`, reply)) return;
    if (!readCookie(request, this.resetCookie.name)) {
      return sendPage(reply, missingLink('Choose a new password', 'password reset'));
    }
    sendPage(reply, this.resetForm());
  }

  @Post('reset-password')
  @AcceptFormBody()
  async resetPassword(
    @Body() body: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Client() client: ClientInfo,
  ): Promise<void> {
    const stored = this.postedToken(request, reply, this.resetCookie, 'Choose a new password', 'password reset');
    if (!stored) return;
    const newPassword = typeof body?.newPassword === 'string' ? body.newPassword : '';
    const confirmation = typeof body?.confirmPassword === 'string' ? body.confirmPassword : '';
    if (newPassword !== confirmation) {
      return sendPage(reply, this.resetForm('The two passwords differ; type the same new password twice.'));
    }
    try {
      await this.limit('passwordResetPerIp', client);
      await this.passwords.resetPassword(stored, newPassword, client);
    } catch (error) {
      if (error instanceof DomainError && error.code !== 'invalid_token') {
        return sendPage(reply, this.resetForm(error.message, error.status));
      }
      this.resetCookie.clear(reply);
      return sendPage(reply, failure('Choose a new password', error, 'Ask for a new password reset link.'));
    }
    this.resetCookie.clear(reply);
    sendPage(reply, {
      title: 'Password changed',
      body: '<p role="status">Your password is changed and every session of your account was signed out. Sign in with the new password.</p>',
    });
  }

  /** Shows one button; only its POST spends the link (mail scanners and prefetchers follow links). */
  @Get('sign-in/email')
  signInForm(@Query('token') token: unknown, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    if (this.tokenToCookie(token, this.signInCookie, `${this.base}/sign-in/email`, reply)) return;
    if (!readCookie(request, this.signInCookie.name)) return sendPage(reply, missingLink('Sign in', 'sign-in'));
    sendPage(reply, this.signInPage());
  }

  /**
   * Signs in (the session cookie set) and goes on to APP_URL + the returnTo asked for at the start.
   * With two-factor on, answers a page asking for the code, which posts here again with it.
   */
  @Post('sign-in/email')
  @AcceptFormBody()
  async signInWithEmail(
    @Body() body: Record<string, unknown>,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Client() client: ClientInfo,
  ): Promise<void> {
    const stored = this.postedToken(request, reply, this.signInCookie, 'Sign in', 'sign-in');
    if (!stored) return;
    const totpCode = typeof body?.totpCode === 'string' && body.totpCode !== '' ? body.totpCode : undefined;
    let signedIn;
    try {
      await this.limit('emailSignInVerifyPerIp', client);
      signedIn = await this.emailLogin.login({ token: stored, totpCode }, client);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'totp_required') return sendPage(reply, this.signInPage(true));
      if (error instanceof DomainError && error.code === 'invalid_totp') {
        return sendPage(reply, this.signInPage(true, error.message, error.status));
      }
      // Only a dead link is forgotten: after a refusal that may pass (too many requests), the button works again.
      if (error instanceof DomainError && error.code === 'invalid_token') this.signInCookie.clear(reply);
      return sendPage(reply, failure('Sign in', error, 'Ask for a new sign-in link.'));
    }
    this.signInCookie.clear(reply);
    setSessionCookie(reply, this.config, signedIn.session.token, signedIn.session.expiresAt);
    void reply
      .status(HttpStatus.SEE_OTHER)
      .header('Location', `${this.config.appUrl}${signedIn.returnTo ?? '/'}`)
      .header('Referrer-Policy', 'no-referrer')
      .header('X-Frame-Options', 'DENY')
      .send();
  }

  /** A link's GET: the token moves into the cookie and the browser goes to the bare path (303). */
  private tokenToCookie(token: unknown, cookie: TokenCookie, path: string, reply: FastifyReply): boolean {
    if (typeof token !== 'string' || token === '') return false;
    cookie.set(reply, token.slice(0, 512));
    void reply
      .status(HttpStatus.SEE_OTHER)
      .header('Location', path)
      .header('Referrer-Policy', 'no-referrer')
      .header('Cache-Control', 'no-store')
      .header('X-Frame-Options', 'DENY')
      .send();
    return true;
  }

  private resetForm(error?: string, status = 200) {
    const alert = error ? `<p role="alert" id="problem">${escapeHtml(error)}</p>` : '';
    const described = error ? ' aria-describedby="problem"' : '';
    return {
      status,
      title: 'Choose a new password',
      referrerPolicy: 'same-origin' as const,
      body:
        `${alert}<form method="post" action="${escapeHtml(`${this.base}/reset-password`)}">` +
        `<label for="newPassword">New password</label>` +
        `<input id="newPassword" name="newPassword" type="password" autocomplete="new-password" minlength="8" maxlength="128" required${described}>` +
        `<label for="confirmPassword">New password again</label>` +
        `<input id="confirmPassword" name="confirmPassword" type="password" autocomplete="new-password" minlength="8" maxlength="128" required>` +
        `<button type="submit">Change password</button></form>` +
        `<p>8 to 128 characters, not a common or easily guessed one. Every session of the account is signed out.</p>`,
    };
  }

  /** The sign-in button, or (two-factor on) the field for the authenticator code and the button. */
  private signInPage(askTotp = false, error?: string, status = 200) {
    const alert = error ? `<p role="alert" id="problem">${escapeHtml(error)}</p>` : '';
    const described = error ? ' aria-describedby="problem"' : '';
    const totp = askTotp
      ? `<label for="totpCode">Authenticator code</label>` +
        `<input id="totpCode" name="totpCode" inputmode="numeric" autocomplete="one-time-code" maxlength="64" required${described}>` +
        `<p>Two-factor authentication is on: enter the code from your authenticator app, or a recovery code.</p>`
      : '<p>Continue to sign in with the address this link was mailed to.</p>';
    return {
      status,
      title: 'Sign in',
      referrerPolicy: 'same-origin' as const,
      body:
        `${alert}<form method="post" action="${escapeHtml(`${this.base}/sign-in/email`)}">` +
        `${totp}<button type="submit">Sign in</button></form>`,
    };
  }

  private async limit(name: RateLimitName, client: ClientInfo): Promise<void> {
    await this.limiter.consume(name, ipSubject(client.ip));
  }
}

function missingLink(title: string, kind: string) {
  return {
    status: HttpStatus.BAD_REQUEST,
    title,
    body: `<p role="alert">This ${kind} link is incomplete or was already opened. Open the link from the mail again, or ask for a new one.</p>`,
  };
}

function failure(title: string, error: unknown, next: string) {
  if (!(error instanceof DomainError)) throw error;
  return {
    status: error.status,
    title,
    body: `<p role="alert">${escapeHtml(error.message)}</p><p>${escapeHtml(next)}</p>`,
  };
}
