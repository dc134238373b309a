import { Injectable } from '@nestjs/common';
import { isUniqueViolation } from '../common/database-errors';
import { Sql } from '../database';
import { deleteInBatches } from '../tasks';
import type { OidcRequest, OidcSettings, SamlProvider, SamlRequest, SsoConnection, SsoIdentity } from './sso.entity';

/** What an organization owner sets on its provider; the rest (id, token, verification, times) is ours. */
export type ProviderSettings = Pick<
  SamlProvider,
  | 'orgId'
  | 'domain'
  | 'idpEntityId'
  | 'idpSsoUrl'
  | 'idpCerts'
  | 'groupsAttribute'
  | 'groupRoleMap'
  | 'defaultRole'
  | 'enforce'
  | 'requireSignedResponse'
>;

export type NewSamlRequest = Omit<SamlRequest, 'provider'>;

/** An OIDC connection with its OP settings. */
export type OidcConnection = SsoConnection & { protocol: 'oidc' } & Omit<OidcSettings, 'connectionId' | 'connection'>;

/** What an organization owner sets on its OIDC connection, with the discovery fetched at save. */
export type OidcConnectionSettings = Pick<
  SsoConnection,
  'orgId' | 'domain' | 'groupsAttribute' | 'groupRoleMap' | 'defaultRole' | 'enforce'
> &
  Omit<OidcSettings, 'connectionId' | 'connection'>;

export type NewOidcRequest = Omit<OidcRequest, 'provider'>;

/** Every column of a provider row, under the entity's field names. */
const PROVIDER_COLUMNS = `id, org_id AS "orgId", protocol, domain, verification_token AS "verificationToken",
  domain_verified_at AS "domainVerifiedAt", idp_entity_id AS "idpEntityId", idp_sso_url AS "idpSsoUrl",
  idp_certs AS "idpCerts", groups_attribute AS "groupsAttribute", group_role_map AS "groupRoleMap",
  default_role AS "defaultRole", enforce, require_signed_response AS "requireSignedResponse", created_at AS "createdAt",
  updated_at AS "updatedAt"`;

/** A user's identity at a provider, with the provider's domain (for the export). */
export interface IdentityWithDomain {
  providerId: string;
  domain: string;
  nameId: string;
  createdAt: Date;
  lastLoginAt: Date;
}

/** An identity removed from the account it signed in. */
export interface UnlinkedIdentity {
  providerId: string;
  nameId: string;
  userId: string;
}

/** SAML providers, the identities they assert, AuthnRequests in flight and the assertions already used. */
@Injectable()
export class SsoRepository {
  constructor(private readonly sql: Sql) {}

  /** The SAML connection with this id (null for an OIDC one). */
  async findProvider(id: string): Promise<SamlProvider | null> {
    return (
      (await this.sql.one<SamlProvider>(
        `SELECT ${PROVIDER_COLUMNS} FROM saml_providers WHERE id = $1 AND protocol = 'saml'`,
        [id],
      )) ?? null
    );
  }

  /** The connection with this id, of either protocol. */
  async findConnection(id: string): Promise<SsoConnection | null> {
    return (
      (await this.sql.one<SsoConnection>(`SELECT ${PROVIDER_COLUMNS} FROM saml_providers WHERE id = $1`, [id])) ?? null
    );
  }

  /** The organization's connection, of either protocol. */
  async findProviderOfOrg(orgId: string): Promise<SsoConnection | null> {
    return (
      (await this.sql.one<SsoConnection>(`SELECT ${PROVIDER_COLUMNS} FROM saml_providers WHERE org_id = $1`, [
        orgId,
      ])) ?? null
    );
  }

  /** The connection that verified the domain (at most one can). */
  async findVerifiedProviderByDomain(domain: string): Promise<SsoConnection | null> {
    return (
      (await this.sql.one<SsoConnection>(
        `SELECT ${PROVIDER_COLUMNS} FROM saml_providers WHERE domain = $1 AND domain_verified_at IS NOT NULL`,
        [domain],
      )) ?? null
    );
  }

  /** The connections that claim the domain without having verified it. */
  findUnverifiedClaims(domain: string): Promise<SsoConnection[]> {
    return this.sql.rows<SsoConnection>(
      `SELECT ${PROVIDER_COLUMNS} FROM saml_providers WHERE domain = $1 AND domain_verified_at IS NULL`,
      [domain],
    );
  }

  /**
   * Creates the organization's provider or replaces its settings, in one statement (two concurrent
   * first saves cannot make two). A new domain gets `newToken` and starts unverified; the same domain
   * keeps its token and its verification. Answers undefined when another provider verified the domain,
   * 'other_protocol' when the organization's connection is an OIDC one (left as it is).
   */
  async saveProvider(
    settings: ProviderSettings,
    newToken: string,
    now: Date,
  ): Promise<{ provider: SamlProvider; created: boolean } | 'other_protocol' | undefined> {
    let row: { id: string; created: boolean } | undefined;
    try {
      row = await this.sql.one<{ id: string; created: boolean }>(
        `INSERT INTO saml_providers AS p (org_id, domain, verification_token, idp_entity_id, idp_sso_url, idp_certs,
           groups_attribute, group_role_map, default_role, enforce, require_signed_response, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8::jsonb, $9, $10, $11, $12, $12)
         ON CONFLICT (org_id) DO UPDATE SET
           domain = EXCLUDED.domain,
           verification_token = CASE WHEN p.domain = EXCLUDED.domain THEN p.verification_token
                                     ELSE EXCLUDED.verification_token END,
           domain_verified_at = CASE WHEN p.domain = EXCLUDED.domain THEN p.domain_verified_at END,
           idp_entity_id = EXCLUDED.idp_entity_id,
           idp_sso_url = EXCLUDED.idp_sso_url,
           idp_certs = EXCLUDED.idp_certs,
           groups_attribute = EXCLUDED.groups_attribute,
           group_role_map = EXCLUDED.group_role_map,
           default_role = EXCLUDED.default_role,
           enforce = EXCLUDED.enforce,
           require_signed_response = EXCLUDED.require_signed_response,
           updated_at = EXCLUDED.updated_at
         WHERE p.protocol = 'saml'
         RETURNING p.id, (p.xmax = 0) AS created`,
        [
          settings.orgId,
          settings.domain,
          newToken,
          settings.idpEntityId,
          settings.idpSsoUrl,
          settings.idpCerts,
          settings.groupsAttribute,
          JSON.stringify(settings.groupRoleMap),
          settings.defaultRole,
          settings.enforce,
          settings.requireSignedResponse,
          now,
        ],
      );
    } catch (error) {
      // The organization's own row is the conflict target; the only other unique key is a verified domain.
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    if (!row) return 'other_protocol';
    return { provider: (await this.findProvider(row.id))!, created: row.created };
  }

  /**
   * Creates the organization's OIDC connection or replaces its settings, as saveProvider does for
   * SAML (same domain rules), with its OP settings beside it. Call in a transaction.
   */
  async saveOidcConnection(
    settings: OidcConnectionSettings,
    newToken: string,
    now: Date,
  ): Promise<{ connection: OidcConnection; created: boolean } | 'other_protocol' | undefined> {
    let row: { id: string; created: boolean } | undefined;
    try {
      row = await this.sql.one<{ id: string; created: boolean }>(
        `INSERT INTO saml_providers AS p (org_id, protocol, domain, verification_token, groups_attribute, group_role_map,
           default_role, enforce, created_at, updated_at)
         VALUES ($1, 'oidc', $2, $3, $4, $5::jsonb, $6, $7, $8, $8)
         ON CONFLICT (org_id) DO UPDATE SET
           domain = EXCLUDED.domain,
           verification_token = CASE WHEN p.domain = EXCLUDED.domain THEN p.verification_token
                                     ELSE EXCLUDED.verification_token END,
           domain_verified_at = CASE WHEN p.domain = EXCLUDED.domain THEN p.domain_verified_at END,
           groups_attribute = EXCLUDED.groups_attribute,
           group_role_map = EXCLUDED.group_role_map,
           default_role = EXCLUDED.default_role,
           enforce = EXCLUDED.enforce,
           updated_at = EXCLUDED.updated_at
         WHERE p.protocol = 'oidc'
         RETURNING p.id, (p.xmax = 0) AS created`,
        [
          settings.orgId,
          settings.domain,
          newToken,
          settings.groupsAttribute,
          JSON.stringify(settings.groupRoleMap),
          settings.defaultRole,
          settings.enforce,
          now,
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
    if (!row) return 'other_protocol';
    await this.sql.count(
      `INSERT INTO oidc_connections (connection_id, issuer, client_id, client_secret, scopes, metadata, jwks,
         jwks_fetched_at)
       VALUES ($1, $2, $3, $4, $5::text[], $6::jsonb, $7::jsonb, $8)
       ON CONFLICT (connection_id) DO UPDATE SET issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id,
         client_secret = EXCLUDED.client_secret, scopes = EXCLUDED.scopes, metadata = EXCLUDED.metadata,
         jwks = EXCLUDED.jwks, jwks_fetched_at = EXCLUDED.jwks_fetched_at`,
      [
        row.id,
        settings.issuer,
        settings.clientId,
        settings.clientSecret,
        settings.scopes,
        JSON.stringify(settings.metadata),
        JSON.stringify(settings.jwks),
        settings.jwksFetchedAt,
      ],
    );
    return { connection: (await this.findOidcConnection(row.id))!, created: row.created };
  }

  /** The OIDC connection with this id, with its OP settings (null for a SAML one). */
  async findOidcConnection(id: string): Promise<OidcConnection | null> {
    return (
      (await this.sql.one<OidcConnection>(
        `SELECT ${PROVIDER_COLUMNS.replace(/(^|,\s*)(\w+)(?=[\s,]|$)/g, '$1p.$2')}, o.issuer, o.client_id AS "clientId",
                o.client_secret AS "clientSecret", o.scopes, o.metadata, o.jwks, o.jwks_fetched_at AS "jwksFetchedAt"
           FROM saml_providers p JOIN oidc_connections o ON o.connection_id = p.id
          WHERE p.id = $1 AND p.protocol = 'oidc'`,
        [id],
      )) ?? null
    );
  }

  /** Replaces the cached JWKS of the connection. */
  async updateJwks(id: string, jwks: OidcSettings['jwks'], now: Date): Promise<void> {
    await this.sql.count(
      'UPDATE oidc_connections SET jwks = $2::jsonb, jwks_fetched_at = $3 WHERE connection_id = $1',
      [id, JSON.stringify(jwks), now],
    );
  }

  /**
   * Marks the domain verified if the provider still claims it with this token (the check ran
   * outside any transaction); the provider, or undefined when it changed meanwhile.
   */
  async markDomainVerified(
    id: string,
    domain: string,
    token: string,
    now: Date,
  ): Promise<SsoConnection | 'verified_elsewhere' | undefined> {
    let count: number;
    try {
      count = await this.sql.count(
        `UPDATE saml_providers SET domain_verified_at = COALESCE(domain_verified_at, $4)
          WHERE id = $1 AND domain = $2 AND verification_token = $3`,
        [id, domain, token, now],
      );
    } catch (error) {
      // Another organization's provider verified the same domain first.
      if (isUniqueViolation(error, 'saml_providers_verified_domain_idx')) return 'verified_elsewhere';
      throw error;
    }
    return count > 0 ? (await this.findConnection(id))! : undefined;
  }

  /** The organization's connection of this protocol, removed; undefined when it had none. */
  async deleteProviderOfOrg(
    orgId: string,
    protocol: SsoConnection['protocol'] = 'saml',
  ): Promise<Pick<SsoConnection, 'id' | 'domain'> | undefined> {
    return this.sql.one<Pick<SsoConnection, 'id' | 'domain'>>(
      'DELETE FROM saml_providers WHERE org_id = $1 AND protocol = $2 RETURNING id, domain',
      [orgId, protocol],
    );
  }

  /** The connections of these organizations, removed. */
  deleteProvidersOfOrgs(orgIds: string[]): Promise<Array<Pick<SsoConnection, 'id' | 'orgId' | 'domain'>>> {
    return this.sql.rows<Pick<SsoConnection, 'id' | 'orgId' | 'domain'>>(
      'DELETE FROM saml_providers WHERE org_id = ANY($1::uuid[]) RETURNING id, org_id AS "orgId", domain',
      [orgIds],
    );
  }

  async findIdentity(providerId: string, nameId: string): Promise<SsoIdentity | null> {
    return (
      (await this.sql.one<SsoIdentity>(
        `SELECT provider_id AS "providerId", name_id AS "nameId", user_id AS "userId", created_at AS "createdAt",
                last_login_at AS "lastLoginAt"
           FROM sso_identities WHERE provider_id = $1 AND name_id = $2`,
        [providerId, nameId],
      )) ?? null
    );
  }

  /** False when the provider already knows this NameID (as anyone). */
  async insertIdentity(identity: Omit<SsoIdentity, 'provider' | 'user'>): Promise<boolean> {
    const rows = await this.sql.rows(
      `INSERT INTO sso_identities (provider_id, name_id, user_id, created_at, last_login_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1`,
      [identity.providerId, identity.nameId, identity.userId, identity.createdAt, identity.lastLoginAt],
    );
    return rows.length > 0;
  }

  async touchIdentity(providerId: string, nameId: string, now: Date): Promise<void> {
    await this.sql.count('UPDATE sso_identities SET last_login_at = $3 WHERE provider_id = $1 AND name_id = $2', [
      providerId,
      nameId,
      now,
    ]);
  }

  identitiesOf(userId: string): Promise<IdentityWithDomain[]> {
    return this.sql.rows<IdentityWithDomain>(
      `SELECT i.provider_id AS "providerId", p.domain, i.name_id AS "nameId", i.created_at AS "createdAt",
              i.last_login_at AS "lastLoginAt"
         FROM sso_identities i JOIN saml_providers p ON p.id = i.provider_id
        WHERE i.user_id = $1 ORDER BY i.created_at, i.provider_id`,
      [userId],
    );
  }

  /**
   * Removes the user's identities at providers of any domain but `keepDomain` (all of them when it
   * is null); answers the removed ones.
   */
  deleteIdentitiesOutside(userId: string, keepDomain: string | null): Promise<UnlinkedIdentity[]> {
    return this.sql.rows<UnlinkedIdentity>(
      `DELETE FROM sso_identities i USING saml_providers p
        WHERE p.id = i.provider_id AND i.user_id = $1 AND ($2::text IS NULL OR p.domain <> $2)
       RETURNING i.provider_id AS "providerId", i.name_id AS "nameId", i.user_id AS "userId"`,
      [userId, keepDomain],
    );
  }

  /** Removes one identity; false when it was gone already. */
  async deleteIdentity(providerId: string, nameId: string): Promise<boolean> {
    return (
      (await this.sql.count('DELETE FROM sso_identities WHERE provider_id = $1 AND name_id = $2', [
        providerId,
        nameId,
      ])) > 0
    );
  }

  /** Removes every identity at these providers; answers the removed ones. */
  deleteIdentitiesAt(providerIds: string[]): Promise<UnlinkedIdentity[]> {
    return this.sql.rows<UnlinkedIdentity>(
      `DELETE FROM sso_identities WHERE provider_id = ANY($1::uuid[])
       RETURNING provider_id AS "providerId", name_id AS "nameId", user_id AS "userId"`,
      [providerIds],
    );
  }

  async deleteIdentitiesOf(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM sso_identities WHERE user_id = ANY($1::uuid[])', [userIds]);
  }

  /** False when the provider already has a request with this id (the stored one is kept). */
  async insertRequest(request: NewSamlRequest): Promise<boolean> {
    const rows = await this.sql.rows(
      `INSERT INTO saml_requests (provider_id, request_id, binding_hash, return_to, force_authn, step_up_session_id,
                                  created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING 1`,
      [
        request.providerId,
        request.requestId,
        request.bindingHash,
        request.returnTo,
        request.forceAuthn,
        request.stepUpSessionId,
        request.createdAt,
        request.expiresAt,
      ],
    );
    return rows.length > 0;
  }

  /** The request, still valid at `now`; not consumed. */
  async findRequest(providerId: string, requestId: string, now: Date): Promise<SamlRequest | undefined> {
    return this.sql.one<SamlRequest>(
      `SELECT provider_id AS "providerId", request_id AS "requestId", binding_hash AS "bindingHash",
              return_to AS "returnTo", force_authn AS "forceAuthn", step_up_session_id AS "stepUpSessionId",
              created_at AS "createdAt", expires_at AS "expiresAt"
         FROM saml_requests WHERE provider_id = $1 AND request_id = $2 AND expires_at > $3`,
      [providerId, requestId, now],
    );
  }

  /** Removes the request and answers it if it was still valid at `now`: of two concurrent consumers, one wins. */
  async consumeRequest(providerId: string, requestId: string, now: Date): Promise<SamlRequest | undefined> {
    const row = await this.sql.one<{
      provider_id: string;
      request_id: string;
      binding_hash: Buffer;
      return_to: string | null;
      force_authn: boolean;
      step_up_session_id: string | null;
      created_at: Date;
      expires_at: Date;
      live: boolean;
    }>(
      `DELETE FROM saml_requests WHERE provider_id = $1 AND request_id = $2
       RETURNING provider_id, request_id, binding_hash, return_to, force_authn, step_up_session_id, created_at,
                 expires_at, expires_at > $3 AS live`,
      [providerId, requestId, now],
    );
    if (!row?.live) return undefined;
    return {
      providerId: row.provider_id,
      requestId: row.request_id,
      bindingHash: row.binding_hash,
      returnTo: row.return_to,
      forceAuthn: row.force_authn,
      stepUpSessionId: row.step_up_session_id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  /**
   * Records an assertion id as used until `expiresAt`: true the first time, false for a replay. One
   * statement, so two concurrent posts of the same assertion cannot both be first.
   */
  async recordAssertion(providerId: string, assertionId: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.sql.rows(
      `INSERT INTO saml_assertions (provider_id, assertion_id, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING 1`,
      [providerId, assertionId, expiresAt],
    );
    return rows.length > 0;
  }

  async insertOidcRequest(request: NewOidcRequest): Promise<void> {
    await this.sql.count(
      `INSERT INTO oidc_requests (provider_id, state_hash, binding_hash, nonce, code_verifier, return_to,
                                  step_up_session_id, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        request.providerId,
        request.stateHash,
        request.bindingHash,
        request.nonce,
        request.codeVerifier,
        request.returnTo,
        request.stepUpSessionId,
        request.createdAt,
        request.expiresAt,
      ],
    );
  }

  /**
   * Removes the request this browser (its binding cookie's hash) started and answers it if it was
   * still valid at `now`: of two concurrent callbacks, one wins; another browser's spends nothing.
   */
  async consumeOidcRequest(
    providerId: string,
    stateHash: Buffer,
    bindingHash: Buffer,
    now: Date,
  ): Promise<NewOidcRequest | undefined> {
    const row = await this.sql.one<NewOidcRequest & { live: boolean }>(
      `DELETE FROM oidc_requests WHERE provider_id = $1 AND state_hash = $2 AND binding_hash = $4
       RETURNING provider_id AS "providerId", state_hash AS "stateHash", binding_hash AS "bindingHash", nonce,
                 code_verifier AS "codeVerifier", return_to AS "returnTo", step_up_session_id AS "stepUpSessionId",
                 created_at AS "createdAt", expires_at AS "expiresAt", expires_at > $3 AS live`,
      [providerId, stateHash, now, bindingHash],
    );
    if (!row?.live) return undefined;
    const { live: _live, ...request } = row;
    return request;
  }

  /** Deletes, in batches, SAML and OIDC requests and assertion ids expired at `now`; answers how many of each. */
  async deleteExpired(now: Date): Promise<{ requests: number; assertions: number; oidcRequests: number }> {
    return {
      requests: await deleteInBatches(this.sql, 'saml_requests', 'expires_at <= $1', [now]),
      assertions: await deleteInBatches(this.sql, 'saml_assertions', 'expires_at <= $1', [now]),
      oidcRequests: await deleteInBatches(this.sql, 'oidc_requests', 'expires_at <= $1', [now]),
    };
  }

  /** OIDC client secrets not sealed under the key `currentPrefix` names, after `after` in connection order. */
  clientSecretsNotUnder(currentPrefix: Buffer, after: string | null, limit: number): Promise<SealedClientSecretRow[]> {
    return this.sql.rows<SealedClientSecretRow>(
      `SELECT connection_id::text AS key, client_secret AS "clientSecret" FROM oidc_connections
        WHERE substring(client_secret from 1 for $1) <> $2 AND ($3::uuid IS NULL OR connection_id > $3::uuid)
        ORDER BY connection_id LIMIT $4`,
      [currentPrefix.length, currentPrefix, after, limit],
    );
  }

  /** The client secret sealed again, if the connection still holds `before` (an admin may have saved another). */
  async replaceClientSecret(connectionId: string, before: Buffer, secret: Buffer): Promise<boolean> {
    const count = await this.sql.count(
      'UPDATE oidc_connections SET client_secret = $3 WHERE connection_id = $1 AND client_secret = $2',
      [connectionId, before, secret],
    );
    return count === 1;
  }
}

export interface SealedClientSecretRow {
  key: string;
  clientSecret: Buffer;
}
