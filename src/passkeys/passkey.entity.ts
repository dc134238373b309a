import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

@Entity('passkeys')
@Index('passkeys_user_id_idx', ['userId'])
export class Passkey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  /** The authenticator's credential id, base64url: what an assertion names. */
  @Column({ name: 'credential_id', type: 'text', unique: true })
  credentialId: string;

  /** COSE-encoded; only signature checks read it, never an answer or the export. */
  @Column({ name: 'public_key', type: 'bytea' })
  publicKey: Buffer;

  /** The signature counter; many passkeys keep it at 0. */
  @Column({ type: 'bigint', default: 0 })
  counter: string;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  transports: string[];

  /** Synced to the platform's cloud (the authenticator's BS flag). */
  @Column({ name: 'backed_up', type: 'boolean' })
  backedUp: boolean;

  /** `singleDevice` or `multiDevice`. */
  @Column({ name: 'device_type', type: 'varchar', length: 16 })
  deviceType: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
