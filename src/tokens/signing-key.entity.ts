import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A key's life: `next` (published in the JWKS, signing nothing yet, so verifiers that cache the JWKS
 * know it before the first token it signs), `current` (signs every token), `retired` (published until
 * no token it signed can still be live, then deleted).
 */
export type SigningKeyState = 'next' | 'current' | 'retired';

/** A key that signs the JWTs of POST /auth/token (ES256). */
@Entity('signing_keys')
// At most one current and one next key, whatever instances race to make them.
@Index('signing_keys_one_per_state', ['state'], { unique: true, where: "state <> 'retired'" })
export class SigningKey {
  /** RFC 7638 thumbprint of the public key: the JWT header's `kid`. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 16 })
  algorithm: string;

  @Column({ type: 'varchar', length: 16 })
  state: SigningKeyState;

  /** The public JWK as the JWKS publishes it. */
  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: Record<string, string>;

  /** Cipher.seal of the private JWK under ENCRYPTION_KEY, bound to the kid. */
  @Column({ name: 'private_key', type: 'bytea' })
  privateKey: Buffer;

  /** Since when it is published. */
  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Since when it signs (null while next). */
  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt: Date | null;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;
}
