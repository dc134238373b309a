import { Body, Controller, Get, HttpCode, Injectable, Post, Req, UseGuards } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { IsString } from 'class-validator';
import { Strategy } from 'passport-strategy';
import { AcceptFormBody, PassportGuard, Public } from '../../src/http';
import type { PassportRequest, PassportResponse } from '../../src/http';

export const IDP_LOGIN_URL = 'https://idp.example.test/sso?SAMLRequest=abc&RelayState=xyz';
export const POST_BINDING_PAGE = '<form method="post" action="https://idp.example.test/sso"></form>';

type Verify = (name: string, done: (error: unknown, user?: unknown) => void) => void;

/**
 * A strategy written the way passport strategies are (passport-saml among them): a GET starts a
 * sign-in with a redirect to the IdP (or, for the POST binding, an HTML page through `req.res.send`);
 * a POST is the IdP's answer, checked by the verify callback.
 */
class RedirectingStrategy extends Strategy {
  constructor(private readonly verify: Verify) {
    super();
  }

  /** Typed loosely, as the base class declares an Express request. */
  override authenticate(req: { method: string; query: unknown; body?: unknown; res?: unknown }): void {
    if (req.method === 'GET') {
      if ((req.query as Record<string, string>).binding === 'post')
        (req.res as PassportResponse).send(POST_BINDING_PAGE);
      else this.redirect(IDP_LOGIN_URL);
      return;
    }
    const name = (req.body as Record<string, unknown> | undefined)?.user;
    if (typeof name !== 'string') {
      this.fail(401);
      return;
    }
    if (name === 'crash') {
      this.error(new Error('the IdP answer could not be read'));
      return;
    }
    this.verify(name, (error, user) => {
      if (error) this.error(error as Error);
      else if (user) this.success(user);
      else this.fail(401);
    });
  }
}

@Injectable()
export class ProbeStrategy extends PassportStrategy(RedirectingStrategy, 'probe') {
  validate(name: string): { name: string } | null {
    return name === 'alice' ? { name } : null;
  }
}

@Injectable()
export class ProbeGuard extends PassportGuard('probe') {}

export class ProbeCallbackDto {
  @IsString()
  user: string;
}

/** Test-only routes: a passport sign-in on Fastify, and a route that takes form posts. */
@Public()
@Controller('probe/sso')
export class PassportProbeController {
  /** How often a handler ran after its strategy had already answered (it must not). */
  static handlerRunsAfterAnswer = 0;

  @Get('login')
  @UseGuards(ProbeGuard)
  login(): void {
    PassportProbeController.handlerRunsAfterAnswer += 1;
  }

  @Post('callback')
  @HttpCode(200)
  @AcceptFormBody()
  @UseGuards(ProbeGuard)
  callback(@Body() body: ProbeCallbackDto, @Req() request: PassportRequest & { user?: unknown }): object {
    return { user: request.user, posted: body.user };
  }
}
