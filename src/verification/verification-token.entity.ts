import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

@Entity('verification_tokens')
@Index('verification_tokens_user_id_idx', ['userId'])
export class VerificationToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  /** The address the token verifies: if the user's address changes, the token is dead. */
  @Column({ type: 'varchar', length: 320 })
  email: string;

  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
