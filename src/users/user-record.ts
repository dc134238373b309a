import type { User } from './user.entity';

/**
 * An account as other modules get it from UsersService: its columns but the password hash, of
 * which they learn only whether there is one. Checking a password is UsersService's work.
 */
export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  hasPassword: boolean;
  emailVerifiedAt: Date | null;
  everVerified: boolean;
  previousEmail: string | null;
  emailChangedAt: Date | null;
  twoFactorEnabled: boolean;
  hasPasskey: boolean;
  ssoProviderId: string | null;
  deletionScheduledFor: Date | null;
  /** An operator locked the account: no sign-in of any kind (403 account_locked). */
  lockedAt: Date | null;
  lockReason: string | null;
  /** An organization's directory deactivated the account: no sign-in of any kind (403 account_suspended). */
  suspendedAt: Date | null;
  suspendedByOrgId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Column by column, so that a column added to the table stays in this module until named here. */
export function userRecord(user: User): UserRecord {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    hasPassword: user.passwordHash !== null,
    emailVerifiedAt: user.emailVerifiedAt,
    everVerified: user.everVerified,
    previousEmail: user.previousEmail,
    emailChangedAt: user.emailChangedAt,
    twoFactorEnabled: user.twoFactorEnabled,
    hasPasskey: user.hasPasskey,
    ssoProviderId: user.ssoProviderId,
    deletionScheduledFor: user.deletionScheduledFor,
    lockedAt: user.lockedAt,
    lockReason: user.lockReason,
    suspendedAt: user.suspendedAt,
    suspendedByOrgId: user.suspendedByOrgId,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}
