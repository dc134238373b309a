import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status the receiver answered. */
  status: number;
  receivedAt: number;
}

/**
 * A product's webhook endpoint on a loopback port: records every request and answers the statuses
 * queued with `answer` (then 204). `verify` checks a request as a receiver would, with the
 * standardwebhooks package.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly statuses: number[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const status = receiver.statuses.shift() ?? 204;
        receiver.received.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          status,
          receivedAt: Date.now(),
        });
        res.statusCode = status;
        if (status >= 300 && status < 400) res.setHeader('location', 'http://127.0.0.1:1/elsewhere');
        res.end();
        for (const wake of receiver.waiters.splice(0)) wake();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The endpoint's URL, by a host name (localhost) or by the address itself. */
  url(path = '/hooks', host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** The next requests get these statuses, in order. */
  answer(...statuses: number[]): void {
    this.statuses.push(...statuses);
  }

  /** The requests of this type so far (parsed bodies). */
  ofType(type: string): ReceivedWebhook[] {
    return this.received.filter((r) => (JSON.parse(r.body) as { type: string }).type === type);
  }

  /** Waits until `count` requests match, or fails after `timeoutMs`. */
  async waitFor(match: (r: ReceivedWebhook) => boolean, count = 1, timeoutMs = 5000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.filter(match);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} matching webhooks, got ${found.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The body as a receiver holding `secret` accepts it; throws when the signature does not verify. */
  static verify(
    secret: string,
    request: ReceivedWebhook,
  ): { type: string; timestamp: string; data: Record<string, unknown> } {
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(request.headers[name])]),
    );
    return new Webhook(secret).verify(request.body, headers) as {
      type: string;
      timestamp: string;
      data: Record<string, unknown>;
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** A type check of a received body, without verifying it. */
export function typeOf(request: ReceivedWebhook): string {
  return (JSON.parse(request.body) as { type: string }).type;
}
