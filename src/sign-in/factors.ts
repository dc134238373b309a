import { Injectable } from '@nestjs/common';
import { DomainError } from '../common/errors';
import { AssertionCheck, PasskeysService } from '../passkeys/passkeys.service';
import { TwoFactorService } from '../two-factor/two-factor.service';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { CredentialRejected, type Amr } from './proof';

/** A password sign-in's account, found before its attempt is counted, and the check of its password. */
export interface PasswordCandidate {
  user: UserRecord | null;
  /**
   * The account and `pwd`, or CredentialRejected (invalid_credentials), in about the same time when
   * there is no account or no password.
   */
  check(password: string): Promise<{ user: UserRecord; amr: Amr }>;
}

/** The password factor: the hash never leaves the users module, which checks it. */
@Injectable()
export class PasswordFactor {
  constructor(private readonly users: UsersService) {}

  async find(email: string): Promise<PasswordCandidate> {
    const { user, checkPassword } = await this.users.findForPasswordSignIn(email);
    return {
      user,
      check: async (password) => {
        if (!(await checkPassword(password)) || !user) throw new CredentialRejected('invalid_credentials');
        return { user, amr: 'pwd' };
      },
    };
  }

  async check(userId: string, password: string): Promise<Amr> {
    if (!(await this.users.checkPassword(userId, password))) throw new CredentialRejected('invalid_credentials');
    return 'pwd';
  }
}

/** The authenticator factor: a TOTP code, or one of the account's recovery codes (spent). */
@Injectable()
export class TotpFactor {
  constructor(private readonly twoFactor: TwoFactorService) {}

  /** No code yet is the second step of a sign-in, not a failure: totp_required. */
  async check(user: Pick<UserRecord, 'id' | 'twoFactorEnabled'>, code: string | undefined): Promise<Amr> {
    if (code === undefined) throw new DomainError('totp_required');
    if (!user.twoFactorEnabled || !(await this.twoFactor.verify(user.id, code))) {
      throw new CredentialRejected('invalid_totp');
    }
    return 'otp';
  }
}

/**
 * The passkey factor: a discoverable credential whose authenticator verified its user, so two
 * factors in one (`hwk`). A failed assertion, whatever the reason, is a rejected credential.
 */
@Injectable()
export class PasskeyFactor {
  constructor(private readonly passkeys: PasskeysService) {}

  async check(assertion: AssertionCheck): Promise<{ userId: string; amr: Amr }> {
    try {
      const { userId } = await this.passkeys.verifyAssertion(assertion);
      return { userId, amr: 'hwk' };
    } catch (error) {
      if (error instanceof DomainError && error.code === 'passkey_invalid') {
        throw new CredentialRejected('passkey_invalid', error.extra, { status: error.status, message: error.message });
      }
      throw error;
    }
  }
}
