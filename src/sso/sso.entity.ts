import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { OrganizationReference } from '../organizations/organization-reference';
import type { OrgRole } from '../organizations/organizations.service';
import { UserReference } from '../users/user-reference';

/** An organization's SAML identity provider, and the email domain whose users it signs in. */
@Entity('saml_providers')
@Index('saml_providers_verified_domain_idx', ['domain'], { unique: true, where: 'domain_verified_at IS NOT NULL' })
@Index('saml_providers_domain_idx', ['domain'])
export class SamlProvider {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** One provider per organization. */
  @Column({ name: 'org_id', type: 'uuid', unique: true })
  orgId: string;

  @OrganizationReference()
  organization?: unknown;

  /**
   * Lower-case, IDNA ASCII. Several organizations may claim a domain; only one may have it verified
   * (the first to prove it), and only that one routes, signs in and enforces.
   */
  @Column({ type: 'varchar', length: 253 })
  domain: string;

  /** Published by the organization as `auth-verification=<token>` in `_auth-verification.<domain>`. */
  @Column({ name: 'verification_token', type: 'varchar', length: 64 })
  verificationToken: string;

  /** Until set, the provider can be tested but routes no one by address and enforces nothing. */
  @Column({ name: 'domain_verified_at', type: 'timestamptz', nullable: true })
  domainVerifiedAt: Date | null;

  @Column({ name: 'idp_entity_id', type: 'varchar', length: 1024 })
  idpEntityId: string;

  @Column({ name: 'idp_sso_url', type: 'varchar', length: 2048 })
  idpSsoUrl: string;

  /** PEM certificates; more than one while the IdP rolls its key over. */
  @Column({ name: 'idp_certs', type: 'text', array: true })
  idpCerts: string[];

  @Column({ name: 'groups_attribute', type: 'varchar', length: 256, nullable: true })
  groupsAttribute: string | null;

  /** IdP group name → role in the organization. */
  @Column({ name: 'group_role_map', type: 'jsonb', default: () => "'{}'" })
  groupRoleMap: Record<string, OrgRole>;

  @Column({ name: 'default_role', type: 'varchar', length: 16, default: 'member' })
  defaultRole: OrgRole;

  /** Password sign-in, signup and reset are refused for the domain (once it is verified). */
  @Column({ type: 'boolean', default: false })
  enforce: boolean;

  /** The Response must be signed as well as the Assertion (which always must be). */
  @Column({ name: 'require_signed_response', type: 'boolean', default: true })
  requireSignedResponse: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A user as one provider knows them: its NameID for them. */
@Entity('sso_identities')
@Index('sso_identities_user_id_idx', ['userId'])
export class SsoIdentity {
  @PrimaryColumn({ name: 'provider_id', type: 'uuid' })
  providerId: string;

  @PrimaryColumn({ name: 'name_id', type: 'varchar', length: 1024 })
  nameId: string;

  @ManyToOne(() => SamlProvider, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: SamlProvider;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_login_at', type: 'timestamptz' })
  lastLoginAt: Date;
}

/**
 * An AuthnRequest in flight: its Response must answer it (InResponseTo), in the browser that asked
 * (the hash of the binding cookie), before it expires; consumed once.
 */
@Entity('saml_requests')
@Index('saml_requests_expires_at_idx', ['expiresAt'])
export class SamlRequest {
  @PrimaryColumn({ name: 'provider_id', type: 'uuid' })
  providerId: string;

  @PrimaryColumn({ name: 'request_id', type: 'varchar', length: 256 })
  requestId: string;

  @ManyToOne(() => SamlProvider, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: SamlProvider;

  /** SHA-256 of the browser-binding cookie's value. */
  @Column({ name: 'binding_hash', type: 'bytea' })
  bindingHash: Buffer;

  @Column({ name: 'return_to', type: 'varchar', length: 2048, nullable: true })
  returnTo: string | null;

  @Column({ name: 'force_authn', type: 'boolean', default: false })
  forceAuthn: boolean;

  /** The session a step-up request re-authenticates. */
  @Column({ name: 'step_up_session_id', type: 'uuid', nullable: true })
  stepUpSessionId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}

/** Assertion ids already accepted, until they expire: a replayed assertion finds its id here. */
@Entity('saml_assertions')
@Index('saml_assertions_expires_at_idx', ['expiresAt'])
export class SamlAssertion {
  @PrimaryColumn({ name: 'provider_id', type: 'uuid' })
  providerId: string;

  @PrimaryColumn({ name: 'assertion_id', type: 'varchar', length: 256 })
  assertionId: string;

  @ManyToOne(() => SamlProvider, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: SamlProvider;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
