import { createServer, Server } from 'node:http';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { describeError } from '../common/describe-error';
import { Metrics, METRICS_CONTENT_TYPE } from '../common/metrics';
import { AppConfig } from '../config';

/**
 * METRICS_PORT: a listener of its own that answers GET /metrics, without a token, and 404 to
 * anything else. It binds 127.0.0.1 unless METRICS_PORT names an address: keep it off the public
 * network (only PORT goes behind the load balancer).
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: Server | undefined;

  constructor(
    private readonly metrics: Metrics,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const listen = this.config.metricsListen;
    if (!listen) return;
    const server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0].replace(/\/+$/, '');
      if ((request.method !== 'GET' && request.method !== 'HEAD') || path.toLowerCase() !== '/metrics') {
        response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found.\n');
        return;
      }
      this.metrics.text().then(
        (text) => {
          response.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
          response.end(request.method === 'HEAD' ? undefined : text);
        },
        (error: unknown) => {
          this.logger.error({ error: describeError(error), msg: 'the metrics could not be collected' });
          response.writeHead(500).end();
        },
      );
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port, listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log({
      msg: `metrics on http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}/metrics`,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
