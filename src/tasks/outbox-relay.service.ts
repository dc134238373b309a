import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import { describeError } from '../common/describe-error';
import { AppConfig } from '../config';

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/** One outbox the relay drains: the channel its commits notify, and what sends its due rows. */
interface Outbox {
  channel: string;
  drain: () => Promise<unknown>;
  draining: Promise<void> | undefined;
  again: boolean;
}

/**
 * The serving process's sender: it LISTENs for the commit notifications of every outbox registered
 * with it (mail, webhooks) and drains that outbox right away, whatever TASKS_ENABLED says. Each
 * outbox's scheduled task retries what fails here. One connection listens for all of them.
 */
@Injectable()
export class OutboxRelay implements OnApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  private readonly outboxes = new Map<string, Outbox>();
  private client: Client | undefined;
  private stopped = true;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly config: AppConfig) {}

  /**
   * Adds an outbox (a module's onModuleInit): a NOTIFY on `channel` after a commit, and every
   * (re)connection, run `drain`. Channel names are identifiers of our own, never input.
   */
  register(channel: string, drain: () => Promise<unknown>): void {
    if (!/^[a-z_]+$/.test(channel)) throw new Error(`"${channel}" is not a channel name`);
    if (this.outboxes.has(channel)) throw new Error(`two outboxes notify "${channel}"`);
    this.outboxes.set(channel, { channel, drain, draining: undefined, again: false });
    // Registered while connected: listen now (a connection under way listens after it connects).
    const client = this.client;
    if (client) void this.listen(client, [channel]);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** Stops listening and waits for the deliveries under way; idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
    await Promise.all([...this.outboxes.values()].map((outbox) => outbox.draining));
  }

  /** Drains the outbox of `channel` (every outbox without one); a call while it drains makes it go round once more. */
  async kick(channel?: string): Promise<void> {
    const outboxes = channel === undefined ? [...this.outboxes.values()] : [this.outboxes.get(channel)];
    await Promise.all(outboxes.map((outbox) => outbox && this.drain(outbox)));
  }

  private drain(outbox: Outbox): Promise<void> {
    if (outbox.draining) {
      outbox.again = true;
      return outbox.draining;
    }
    outbox.draining = (async () => {
      try {
        do {
          outbox.again = false;
          await outbox.drain();
        } while (outbox.again && !this.stopped);
      } catch (error) {
        this.logger.error({ outbox: outbox.channel, error: describeError(error), msg: 'outbox delivery failed' });
      } finally {
        outbox.draining = undefined;
      }
    })();
    return outbox.draining;
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.config.databaseUrl, application_name: 'authd-outbox' });
    client.on('notification', (message) => void this.kick(message.channel));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
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
    await this.listen(client, [...this.outboxes.keys()]);
  }

  /** LISTENs on the channels, then drains their outboxes: what was committed while nobody listened is due now. */
  private async listen(client: Client, channels: string[]): Promise<void> {
    try {
      for (const channel of channels) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    await Promise.all(channels.map((channel) => this.kick(channel)));
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
