import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { OrganizationReference } from '../organizations/organization-reference';
import type { OrgRole } from '../organizations/organizations.service';
import { UserReference } from '../users/user-reference';

export type SsoProtocol = 'saml' | 'oidc';

/**
 * An organization's SSO connection (SAML or OIDC; one per organization), and the email domain whose
 * users it signs in. The domain, its verification, enforcement and the group-to-role map are the
 * same for both protocols and live here; the IdP's side is the SAML columns below, or for OIDC its
 * oidc_connections row. The table kept the name it had when SAML was the only protocol: the
 * identities, requests and assertions of both refer to these ids.
 */
@Entity('saml_providers')
@Index('saml_providers_verified_domain_idx', ['domain'], { unique: true, where: 'domain_verified_at IS NOT NULL' })
@Index('saml_providers_domain_idx', ['domain'])
@Check(
  'saml_providers_protocol_settings_check',
  `(protocol = 'saml' AND idp_entity_id IS NOT NULL AND idp_sso_url IS NOT NULL AND idp_certs IS NOT NULL) OR protocol = 'oidc'`,
)
export class SsoConnection {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** One connection per organization, whatever its protocol. */
  @Column({ name: 'org_id', type: 'uuid', unique: true })
  orgId: string;

  @Column({ type: 'varchar', length: 8, default: 'saml' })
  protocol: SsoProtocol;

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

  /** SAML only (null for OIDC). */
  @Column({ name: 'idp_entity_id', type: 'varchar', length: 1024, nullable: true })
  idpEntityId: string | null;

  /** SAML only (null for OIDC). */
  @Column({ name: 'idp_sso_url', type: 'varchar', length: 2048, nullable: true })
  idpSsoUrl: string | null;

  /** SAML only (null for OIDC): PEM certificates; more than one while the IdP rolls its key over. */
  @Column({ name: 'idp_certs', type: 'text', array: true, nullable: true })
  idpCerts: string[] | null;

  /** The SAML attribute, or the OIDC claim, that lists the person's groups. */
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

  /** SAML: the Response must be signed as well as the Assertion (which always must be). */
  @Column({ name: 'require_signed_response', type: 'boolean', default: true })
  requireSignedResponse: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** A SAML connection: its IdP settings are set. */
export type SamlProvider = SsoConnection & {
  protocol: 'saml';
  idpEntityId: string;
  idpSsoUrl: string;
  idpCerts: string[];
};

/** Whether the connection is a SAML one (the check constraint guarantees its SAML columns then). */
export function isSaml(connection: SsoConnection): connection is SamlProvider {
  return connection.protocol === 'saml';
}

/** The OpenID Provider of an OIDC connection, and what its discovery answered (cached with its keys). */
@Entity('oidc_connections')
export class OidcSettings {
  @PrimaryColumn({ name: 'connection_id', type: 'uuid' })
  connectionId: string;

  @ManyToOne(() => SsoConnection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connection_id' })
  connection?: SsoConnection;

  @Column({ type: 'varchar', length: 2048 })
  issuer: string;

  @Column({ name: 'client_id', type: 'varchar', length: 512 })
  clientId: string;

  /** Cipher.seal of the client secret (never answered back). */
  @Column({ name: 'client_secret', type: 'bytea' })
  clientSecret: Buffer;

  @Column({ type: 'text', array: true })
  scopes: string[];

  /** The discovery document as fetched at save. */
  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;

  /** The OP's JWKS, refetched once when an ID token names a key it lacks. */
  @Column({ type: 'jsonb' })
  jwks: { keys: Array<Record<string, unknown>> };

  @Column({ name: 'jwks_fetched_at', type: 'timestamptz' })
  jwksFetchedAt: Date;
}

/** A user as one provider knows them: its NameID (SAML) or `sub` (OIDC) for them. */
@Entity('sso_identities')
@Index('sso_identities_user_id_idx', ['userId'])
export class SsoIdentity {
  @PrimaryColumn({ name: 'provider_id', type: 'uuid' })
  providerId: string;

  @PrimaryColumn({ name: 'name_id', type: 'varchar', length: 1024 })
  nameId: string;

  @ManyToOne(() => SsoConnection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: SsoConnection;

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

  @ManyToOne(() => SsoConnection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: SsoConnection;

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

  @ManyToOne(() => SsoConnection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: SsoConnection;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}

/**
 * An OIDC authorization request in flight: its callback must bring back its `state`, in the browser
 * that asked (the hash of the binding cookie), before it expires; consumed once. The nonce and the
 * PKCE verifier stay here, never in the browser.
 */
@Entity('oidc_requests')
@Index('oidc_requests_expires_at_idx', ['expiresAt'])
export class OidcRequest {
  @PrimaryColumn({ name: 'provider_id', type: 'uuid' })
  providerId: string;

  /** SHA-256 of the `state` sent to the OP. */
  @PrimaryColumn({ name: 'state_hash', type: 'bytea' })
  stateHash: Buffer;

  @ManyToOne(() => SsoConnection, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'provider_id' })
  provider?: SsoConnection;

  /** SHA-256 of the browser-binding cookie's value. */
  @Column({ name: 'binding_hash', type: 'bytea' })
  bindingHash: Buffer;

  @Column({ type: 'varchar', length: 128 })
  nonce: string;

  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier: string;

  @Column({ name: 'return_to', type: 'varchar', length: 2048, nullable: true })
  returnTo: string | null;

  /** The session a step-up request re-authenticates (the OP was asked for a fresh login). */
  @Column({ name: 'step_up_session_id', type: 'uuid', nullable: true })
  stepUpSessionId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
