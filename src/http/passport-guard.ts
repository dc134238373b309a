import { ExecutionContext, Type } from '@nestjs/common';
import { AuthGuard, IAuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { finished } from 'node:stream/promises';

/**
 * The part of Node's ServerResponse, plus Express's `send`, that passport and its strategies use
 * (`redirect` sets statusCode, Location and Content-Length, then ends; passport-saml's HTTP-POST
 * binding calls `req.res.send(html)`). A FastifyReply has none of it.
 */
export interface PassportResponse {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): PassportResponse;
  getHeader(name: string): unknown;
  end(body?: string | Buffer): void;
  send(body: string | Buffer): void;
}

/** What passport reads on the request besides headers, query and body: the response, as `req.res`. */
export type PassportRequest = FastifyRequest & { res?: PassportResponse };

/**
 * Adapts a Fastify reply for passport. Everything goes through the reply, so Fastify's hooks run
 * and the headers set before (X-Request-Id, CORS) are kept. `answered` settles once a strategy has
 * sent its own answer (a redirect, a failure page) and that answer is out.
 */
export function passportResponse(reply: FastifyReply): { response: PassportResponse; answered: Promise<void> } {
  let sent!: () => void;
  const answered = new Promise<void>((resolve) => (sent = resolve));
  const settle = () =>
    finished(reply.raw).then(
      () => sent(),
      () => sent(),
    );
  const response: PassportResponse = {
    get statusCode() {
      return reply.statusCode;
    },
    set statusCode(status: number) {
      reply.code(status);
    },
    setHeader(name, value) {
      reply.header(name, value);
      return response;
    },
    getHeader(name) {
      return reply.getHeader(name);
    },
    end(body) {
      void reply.send(body);
      void settle();
    },
    send(body) {
      if (reply.getHeader('content-type') === undefined) {
        reply.type(typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/octet-stream');
      }
      void reply.send(body);
      void settle();
    },
  };
  return { response, answered };
}

/**
 * `@nestjs/passport`'s AuthGuard for a strategy, on Fastify: the strategy gets a request whose `res`
 * and a response that it can drive the way passport expects of Node's (see passportResponse). When the strategy
 * answers by itself (a redirect), the guard returns false once the answer is out, and the error
 * filter leaves the already answered request alone; otherwise it resolves as AuthGuard does, with
 * the user on `request.user`. Subclass it for a strategy: `class SamlGuard extends PassportGuard('saml') {}`.
 */
export function PassportGuard(strategy: string | string[]): Type<IAuthGuard> {
  class FastifyPassportGuard extends AuthGuard(strategy) {
    override async canActivate(context: ExecutionContext): Promise<boolean> {
      const request = this.getRequest(context);
      const { response, answered } = passportResponse(context.switchToHttp().getResponse<FastifyReply>());
      request.res = response;
      return Promise.race([super.canActivate(context) as Promise<boolean>, answered.then(() => false)]);
    }

    override getRequest(context: ExecutionContext): PassportRequest {
      return context.switchToHttp().getRequest<PassportRequest>();
    }

    getResponse(context: ExecutionContext): PassportResponse | undefined {
      return this.getRequest(context).res;
    }
  }
  return FastifyPassportGuard;
}
