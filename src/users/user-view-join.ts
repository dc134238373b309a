import type { UserView } from '../http';

/**
 * The users side of the hot-path lookups (session, API key) that read the user in the same query
 * as their own row: the columns of a UserView under the alias `u`, and their mapping. The users
 * module owns these columns; the sessions and api-keys repositories join them (the only SQL of
 * this module another module runs).
 */
export const USER_VIEW_COLUMNS = `u.id AS u_id, u.email AS u_email, u.name AS u_name,
  u.password_hash IS NOT NULL AS u_has_password, u.email_verified_at AS u_email_verified_at,
  u.two_factor_enabled AS u_two_factor_enabled, u.has_passkey AS u_has_passkey, u.sso_provider_id AS u_sso_provider_id,
  u.deletion_scheduled_for AS u_deletion_scheduled_for, u.created_at AS u_created_at`;

export interface UserViewRow {
  u_id: string;
  u_email: string;
  u_name: string | null;
  u_has_password: boolean;
  u_email_verified_at: Date | null;
  u_two_factor_enabled: boolean;
  u_has_passkey: boolean;
  u_sso_provider_id: string | null;
  u_deletion_scheduled_for: Date | null;
  u_created_at: Date;
}

export function userViewFromRow(row: UserViewRow): UserView {
  return {
    id: row.u_id,
    email: row.u_email,
    name: row.u_name,
    emailVerifiedAt: row.u_email_verified_at,
    twoFactorEnabled: row.u_two_factor_enabled,
    hasPasskey: row.u_has_passkey,
    hasPassword: row.u_has_password,
    ssoProviderId: row.u_sso_provider_id,
    deletionScheduledFor: row.u_deletion_scheduled_for,
    createdAt: row.u_created_at,
  };
}
