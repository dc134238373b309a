import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A mail queued inside the transaction that caused it; its payload is sealed and scrubbed once sent or given up. */
@Entity('mail_outbox')
@Index('mail_outbox_due_idx', ['nextAttemptAt'], { where: 'sent_at IS NULL' })
@Index('mail_outbox_sent_idx', ['sentAt'], { where: 'sent_at IS NOT NULL' })
@Index('mail_outbox_recipient_tag_idx', ['recipientTag'], { where: 'sent_at IS NULL' })
export class OutboxMail {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  template: string;

  /** AES-256-GCM over {to, subject, html, text}; NULL once delivered. */
  @Column({ type: 'bytea', nullable: true })
  payload: Buffer | null;

  /** Cipher.tag of the address's SHA-256, so the mail queued for an erased account can be found; NULL once delivered. */
  @Column({ name: 'recipient_tag', type: 'bytea', nullable: true })
  recipientTag: Buffer | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt: Date;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  /** Set when delivery was given up: a permanent refusal or too many attempts. */
  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true })
  failedAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;
}
