import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookEvent } from './webhook-event.entity';

/**
 * One event for one endpoint subscribed to it when the event was queued: pending until delivered
 * (a 2xx) or given up (24 hours of retries). It goes with its event and with its endpoint.
 */
@Entity('webhook_deliveries')
@Index('webhook_deliveries_event_endpoint_key', ['eventId', 'endpointId'], { unique: true })
@Index('webhook_deliveries_endpoint_id_idx', ['endpointId'])
@Index('webhook_deliveries_due_idx', ['nextAttemptAt'], { where: 'delivered_at IS NULL AND failed_at IS NULL' })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @ManyToOne(() => WebhookEvent, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id', foreignKeyConstraintName: 'FK_webhook_deliveries_event_id' })
  event?: unknown;

  @Column({ name: 'endpoint_id', type: 'uuid' })
  endpointId: string;

  @ManyToOne(() => WebhookEndpoint, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'endpoint_id', foreignKeyConstraintName: 'FK_webhook_deliveries_endpoint_id' })
  endpoint?: unknown;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt: Date;

  /** A sender's claim: until then no other sender takes the delivery. */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  /** The HTTP status of the last attempt (none when it did not get an answer). */
  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus: number | null;

  /** Why the last attempt failed, in a few words: never the answer's body. */
  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true })
  failedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
