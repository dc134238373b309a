import { randomInt } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Transactional, TransactionHost } from '../database/transactions';
import { generateSecret, generateURI, verifySync } from 'otplib';
import type { VerifyResult as TotpVerifyResult } from 'otplib';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { Cipher, hashToken } from '../common/crypto';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { OutboxService } from '../mail';
import { UsersService } from '../users/users.service';
import { TotpFactor } from './two-factor.entity';
import { TwoFactorRepository } from './two-factor.repository';
import type { UserView } from '../http';

const PERIOD_SECONDS = 30;
/** ±1 step of clock drift between server and phone. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
const RECOVERY_CODES = 10;
/** No 0/O, 1/I/L: codes are read off paper. */
const RECOVERY_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const TOTP_CODE = /^\d{6}$/;

/** What a TOTP secret is sealed for: its user, so one account's secret cannot be moved to another. */
export function totpSecretPurpose(userId: string): string {
  return `totp:${userId}`;
}

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
}

/** TOTP (RFC 6238: SHA-1, 6 digits, 30 s) and single-use recovery codes. */
@Injectable()
export class TwoFactorService {
  constructor(
    private readonly txHost: TransactionHost,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly cipher: Cipher,
    private readonly users: UsersService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly repository: TwoFactorRepository,
  ) {}

  /** A new pending secret, replacing any earlier pending one. */
  async setup(user: UserView): Promise<TotpSetup> {
    if (user.twoFactorEnabled) throw new DomainError('totp_already_enabled');
    const secret = generateSecret();
    // Replaces a pending secret, never an enabled one, even when an enable races with this.
    if (!(await this.repository.savePendingSecret(user.id, this.seal(user.id, secret), this.clock.now()))) {
      throw new DomainError('totp_already_enabled');
    }
    return {
      secret,
      otpauthUrl: generateURI({
        issuer: this.config.serviceName,
        label: user.email,
        secret,
        period: PERIOD_SECONDS,
        digits: 6,
      }),
    };
  }

  @Transactional()
  async enable(user: UserView, code: string, client: ClientInfo): Promise<string[]> {
    // Locked: a key rotation's reseal of the pending secret waits for this enable rather than
    // making it miss the secret it checked the code against.
    const factor = await this.repository.findFactor(user.id, { lock: true });
    if (!factor) throw new DomainError('totp_setup_required');
    if (factor.enabledAt) throw new DomainError('totp_already_enabled');
    const trimmed = code.replace(/\s+/g, '');
    const step = TOTP_CODE.test(trimmed) ? this.matchingStep(user.id, factor, trimmed) : undefined;
    if (step === undefined) throw new DomainError('invalid_totp', {}, { status: 400 });
    // Only the pending secret the code was checked against is enabled, and only once.
    if (!(await this.repository.enablePending(user.id, factor.secret, step, this.clock.now()))) {
      throw new DomainError('totp_already_enabled');
    }
    await this.users.setTwoFactorEnabled(user.id, true);
    const codes = await this.replaceRecoveryCodes(user.id);
    await this.outbox.enqueue(user.email, 'two-factor-enabled', { at: this.clock.now().toUTCString() });
    await this.audit.record({ action: 'user.two_factor_enabled', actor: user, client, target: `user:${user.id}` });
    return codes;
  }

  @Transactional()
  async regenerateRecoveryCodes(user: UserView, client: ClientInfo): Promise<string[]> {
    if (!user.twoFactorEnabled) throw new DomainError('totp_not_enabled');
    const codes = await this.replaceRecoveryCodes(user.id);
    await this.audit.record({
      action: 'user.recovery_codes_regenerated',
      actor: user,
      client,
      target: `user:${user.id}`,
    });
    return codes;
  }

  @Transactional()
  async disable(user: UserView, client: ClientInfo): Promise<void> {
    const hadFactor = await this.repository.deleteFactor(user.id);
    await this.repository.deleteRecoveryCodes(user.id);
    if (!user.twoFactorEnabled && !hadFactor) return;
    await this.users.setTwoFactorEnabled(user.id, false);
    if (user.twoFactorEnabled) {
      await this.outbox.enqueue(user.email, 'two-factor-disabled', { at: this.clock.now().toUTCString() });
      await this.audit.record({ action: 'user.two_factor_disabled', actor: user, client, target: `user:${user.id}` });
    }
  }

  /**
   * A sign-in or step-up code: a current TOTP code not used before, or an unused recovery code,
   * which is spent. Both are consumed with a conditional UPDATE, so a code races to one winner.
   */
  async verify(userId: string, code: string): Promise<boolean> {
    const factor = await this.repository.findFactor(userId);
    if (!factor?.enabledAt) return false;
    const trimmed = code.replace(/\s+/g, '');
    if (TOTP_CODE.test(trimmed)) {
      const step = this.matchingStep(userId, factor, trimmed);
      if (step === undefined) return false;
      return this.repository.useStep(userId, step);
    }
    return this.repository.useRecoveryCode(userId, hashToken(normaliseRecoveryCode(code)), this.clock.now());
  }

  /** The time step the code belongs to, if it is valid now (±1 step) and newer than the last one used. */
  private matchingStep(userId: string, factor: TotpFactor, code: string): number | undefined {
    const secret = this.cipher.open(factor.secret, totpSecretPurpose(userId)).toString('utf8');
    // The functional API's default strategy is TOTP; its result names the matched time step.
    // otplib throws where it cannot check (e.g. a last step beyond the window after a clock moved
    // back): that is a code we do not accept, never a 500.
    let result: TotpVerifyResult;
    try {
      result = verifySync({
        secret,
        token: code,
        epoch: Math.floor(this.clock.now().getTime() / 1000),
        epochTolerance: TOLERANCE_SECONDS,
        period: PERIOD_SECONDS,
        ...(factor.lastUsedStep !== null ? { afterTimeStep: Number(factor.lastUsedStep) } : {}),
      }) as TotpVerifyResult;
    } catch {
      return undefined;
    }
    return result.valid ? result.timeStep : undefined;
  }

  private seal(userId: string, secret: string): Buffer {
    return this.cipher.seal(Buffer.from(secret, 'utf8'), totpSecretPurpose(userId));
  }

  private async replaceRecoveryCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODES }, () => newRecoveryCode());
    await this.repository.replaceRecoveryCodes(
      userId,
      codes.map((code) => hashToken(normaliseRecoveryCode(code))),
      this.clock.now(),
    );
    return codes;
  }
}

/** Ten characters from a 31-letter alphabet (~50 bits), shown as XXXXX-XXXXX. */
function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

function normaliseRecoveryCode(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}
