/**
 * The LISTEN connection: one dedicated client per node that hears when another node adds a job or makes
 * one due sooner, so a new 1 s job fires on time without polling. When the connection drops (a database
 * restart, a network cut) it reconnects with backoff and LISTENs again, then wakes the scheduler once,
 * since notifications sent meanwhile are gone.
 */
import type pg from 'pg';
import type { Logger } from '../../core/logger.js';
import { createClient } from './connection.js';

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

export class PgListener {
  private client: pg.Client | null = null;
  private connected = false;
  private stopped = false;
  private delay = RECONNECT_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly connectionString: string,
    private readonly nodeId: string,
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly onNotify: (payload: string) => void,
    private readonly onReconnect: () => void,
  ) {}

  get isConnected(): boolean {
    return this.connected;
  }

  /** Connects and LISTENs; rejects when the first connection fails (the store's open fails then). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = createClient(this.connectionString, this.nodeId);
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client, null));
    client.on('notification', (message) => {
      if (message.channel === this.channel && message.payload !== undefined) this.onNotify(message.payload);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      this.client = null;
      client.removeAllListeners('end');
      void client.end().catch(() => undefined);
      throw error;
    }
    this.connected = true;
    this.delay = RECONNECT_MIN_MS;
  }

  private dropped(client: pg.Client, error: Error | null): void {
    if (this.client !== client) return;
    this.client = null;
    this.connected = false;
    client.removeAllListeners('end');
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(
      { event: 'store_listen_lost', error: error === null ? undefined : { message: error.message } },
      'PostgreSQL LISTEN connection lost; reconnecting',
    );
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer !== null) return;
    const delay = this.delay;
    this.delay = Math.min(this.delay * 2, RECONNECT_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.stopped) return;
      this.connect().then(
        () => {
          this.logger.info({ event: 'store_listen_restored' }, 'PostgreSQL LISTEN connection restored');
          this.onReconnect();
        },
        () => this.scheduleReconnect(),
      );
    }, delay);
    this.retryTimer.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    this.connected = false;
    if (client !== null) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
