import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * An event for the product's webhooks, written in the transaction of the change it reports. `user_id`
 * names the account it is about (no foreign key: `user.deleted` outlives the account it reports).
 * Queued only when an endpoint subscribes to its type; deleted with its deliveries a week after.
 */
@Entity('webhook_events')
@Index('webhook_events_user_id_idx', ['userId'], { where: 'user_id IS NOT NULL' })
@Index('webhook_events_created_at_idx', ['createdAt'])
export class WebhookEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
