import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { SessionReference } from '../sessions/session-reference';
import { UserReference } from '../users/user-reference';

export type ChallengePurpose = 'registration' | 'sign-in' | 'step-up';

/** A ceremony's challenge, single use: answered once by the options route, kept here only hashed. */
@Entity('webauthn_challenges')
@Index('webauthn_challenges_expires_at_idx', ['expiresAt'])
@Index('webauthn_challenges_user_id_idx', ['userId'])
@Index('webauthn_challenges_session_id_idx', ['sessionId'])
export class WebAuthnChallenge {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** SHA-256 of the base64url challenge. */
  @Column({ name: 'challenge_hash', type: 'bytea' })
  challengeHash: Buffer;

  @Column({ type: 'varchar', length: 16 })
  purpose: ChallengePurpose;

  /** The user a registration or step-up is for; null for a discoverable sign-in. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @UserReference()
  user?: unknown;

  /** The session a step-up confirms: no other session may spend it. */
  @Column({ name: 'session_id', type: 'uuid', nullable: true })
  sessionId: string | null;

  @SessionReference()
  session?: unknown;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
