/** A user as requests see it: everything but the password hash. */
export interface UserView {
  id: string;
  email: string;
  name: string | null;
  emailVerifiedAt: Date | null;
  twoFactorEnabled: boolean;
  hasPassword: boolean;
  hasPasskey: boolean;
  ssoProviderId: string | null;
  createdAt: Date;
  deletionScheduledFor: Date | null;
}
