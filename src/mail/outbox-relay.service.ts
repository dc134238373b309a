import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { describeError } from '../common/describe-error';
import { AppConfig } from '../config';
import { MailDelivery } from './mail-delivery.service';
import { OUTBOX_CHANNEL } from './outbox.repository';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/**
 * The serving process's sender: it LISTENs for the outbox's commit notifications and delivers
 * right away, whatever TASKS_ENABLED says. The deliver-mail task retries what fails here.
 */
@Injectable()
export class OutboxRelay implements OnApplicationShutdown {
  private readonly logger = new Logger('Mail');
  private client: Client | undefined;
  private stopped = true;
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly delivery: MailDelivery,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Stops listening and waits for the delivery under way; idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await this.draining;
  }

  /** Delivers due mail; calls while a drain runs make it go round once more. */
  kick(): Promise<void> {
    if (this.draining) {
      this.drainAgain = true;
      return this.draining;
    }
    this.draining = (async () => {
      try {
        do {
          this.drainAgain = false;
          await this.delivery.deliverDue();
        } while (this.drainAgain && !this.stopped);
      } catch (error) {
        this.logger.error({ error: describeError(error), msg: 'outbox delivery failed' });
      } finally {
        this.draining = undefined;
      }
    })();
    return this.draining;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'authd-outbox' });
    client.on('notification', () => void this.kick());
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
    // Mail committed while nobody listened is due now.
    void this.kick();
  }

  private lost(client: Client, error?: unknown): void {
    if (this.stopped || (this.client !== undefined && this.client !== client)) return;
    this.client = undefined;
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.reconnectTimer) return;
    this.logger.warn({
      error: error && describeError(error),
      retryInMs: this.reconnectDelay,
      msg: 'outbox listener disconnected',
    });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, this.reconnectDelay);
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
  }
}
