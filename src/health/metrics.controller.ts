import { timingSafeEqual, createHash } from 'node:crypto';
import { Controller, Get, Headers, NotFoundException, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Metrics, METRICS_CONTENT_TYPE } from '../common/metrics';
import { AppConfig } from '../config';
import { Public } from '../http';

/**
 * GET /metrics on the main port: only to `Authorization: Bearer $METRICS_TOKEN`. Anyone else, and
 * everyone when no token is set, gets the 404 of a route that does not exist, so the route's
 * existence is not told either. Left out of the OpenAPI document for the same reason.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly expected: Buffer | undefined;

  constructor(
    private readonly metrics: Metrics,
    config: AppConfig,
  ) {
    this.expected = config.metricsToken === undefined ? undefined : digest(`Bearer ${config.metricsToken}`);
  }

  @Get()
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: FastifyReply,
  ): Promise<string> {
    // Compared as digests: equal lengths, in constant time, whatever was sent.
    if (!this.expected || !timingSafeEqual(digest(authorization ?? ''), this.expected)) throw new NotFoundException();
    const text = await this.metrics.text();
    res.header('Content-Type', METRICS_CONTENT_TYPE);
    return text;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
