import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An operator's key for the admin API, made on the command line; it belongs to no account. */
@Entity('admin_keys')
export class AdminKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The key's first characters, so operators can tell keys apart. */
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  /** What the key may do (src/http/route-access.ts ADMIN_SCOPES). */
  @Column({ type: 'varchar', length: 32, array: true })
  scopes: string[];

  /** SHA-256 of the key; the key is printed once and never stored. */
  @Column({ name: 'key_hash', type: 'bytea', unique: true })
  keyHash: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  /** A revoked key is kept, so the audit rows naming it still say which key it was. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
