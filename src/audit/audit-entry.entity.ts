import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AuditDetails = Record<string, string | number | boolean | null>;

/** Append-only: rows are written once and, on account deletion, anonymised rather than removed. */
@Entity('audit_log')
@Index('audit_log_actor_id_idx', ['actorId'])
@Index('audit_log_created_at_idx', ['createdAt'])
@Index('audit_log_actor_email_idx', ['actorEmail'])
@Index('audit_log_target_idx', ['target'])
// The admin API's filter by action, newest first.
@Index('audit_log_action_id_idx', ['action', 'id'])
// GIN (jsonb_path_ops) on details, for erasure's containment lookups: made by its migration, which TypeORM cannot express.
@Index('audit_log_details_idx', { synchronize: false })
// address_sha256() of actor_email and of details.email, for erasure by an account's earlier addresses: by the same migration.
@Index('audit_log_actor_email_sha256_idx', { synchronize: false })
@Index('audit_log_details_email_sha256_idx', { synchronize: false })
export class AuditEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  /** No foreign key: the record outlives the account. */
  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  /** The actor's email at the time of the event. */
  @Column({ name: 'actor_email', type: 'varchar', length: 320, nullable: true })
  actorEmail: string | null;

  @Column({ type: 'varchar', length: 45, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  /** What the action was done to, e.g. `user:<id>`, `session:<id>`, `org:<id>`. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  target: string | null;

  @Column({ type: 'jsonb', nullable: true })
  details: AuditDetails | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
