import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where the product hears about events: an operator's URL, the types it subscribes to and its signing secret. */
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  /** Chosen before the insert: the sealed secret is bound to it. */
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 2048 })
  url: string;

  /** Event types, or `{*}` for all of them. */
  @Column({ type: 'varchar', length: 64, array: true })
  events: string[];

  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  /** The `whsec_…` secret, sealed with AES-256-GCM under ENCRYPTION_KEY (bound to the endpoint's id). */
  @Column({ type: 'bytea' })
  secret: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
