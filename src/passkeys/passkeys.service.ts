import { Injectable, Logger } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { describeError } from '../common/describe-error';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { Transactional, TransactionHost } from '../database/transactions';
import type { SessionAuth, UserView } from '../http';
import { OutboxService } from '../mail';
import { deviceName } from '../sessions/device-name';
import { UsersService } from '../users/users.service';
import {
  CHALLENGE_TTL_MS,
  challengeMatches,
  counterAcceptable,
  isUuid,
  issueChallenge,
  userHandleOf,
} from './ceremony';
import { ChallengeClaim, CredentialDescriptor, PasskeysRepository, PasskeySummary } from './passkeys.repository';

export type { PasskeySummary } from './passkeys.repository';

/** A challenge the browser answers; `challengeId` names it when the answer comes back. */
export interface CeremonyOptions<Options> {
  challengeId: string;
  options: Options;
}

export interface Registration {
  challengeId: string;
  /** The browser's RegistrationResponseJSON, as posted. */
  response: unknown;
  name?: string;
}

/**
 * An assertion to check: for a sign-in, any account's passkey; for a step-up, a passkey of `userId`
 * answering a challenge issued to `sessionId`.
 */
export type AssertionCheck =
  | { purpose: 'sign-in'; challengeId: string; response: unknown }
  | { purpose: 'step-up'; challengeId: string; response: unknown; sessionId: string; userId: string };

export interface VerifiedAssertion {
  userId: string;
  passkeyId: string;
}

/** Passkeys are discoverable (resident) credentials with user verification: one is two factors. */
const AUTHENTICATOR_SELECTION = {
  residentKey: 'required',
  requireResidentKey: true,
  userVerification: 'required',
} as const;

@Injectable()
export class PasskeysService {
  private readonly logger = new Logger('Passkeys');

  constructor(
    private readonly txHost: TransactionHost,
    private readonly passkeys: PasskeysRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly audit: AuditService,
    private readonly outbox: OutboxService,
    private readonly users: UsersService,
  ) {}

  /** Creation options for a new passkey of the signed-in user; their passkeys are excluded. */
  async registrationOptions(user: UserView): Promise<CeremonyOptions<PublicKeyCredentialCreationOptionsJSON>> {
    const issued = issueChallenge();
    const options = await generateRegistrationOptions({
      rpName: this.config.serviceName,
      rpID: this.config.webauthn.rpId,
      userID: userHandleOf(user.id),
      userName: user.email,
      userDisplayName: user.name ?? user.email,
      challenge: issued.bytes,
      timeout: CHALLENGE_TTL_MS,
      attestationType: 'none',
      excludeCredentials: descriptors(await this.passkeys.credentialsOf(user.id)),
      authenticatorSelection: AUTHENTICATOR_SELECTION,
    });
    const challengeId = await this.passkeys.insertChallenge({
      challengeHash: issued.hash,
      purpose: 'registration',
      userId: user.id,
      sessionId: null,
      expiresAt: this.expiry(),
    });
    return { challengeId, options };
  }

  /**
   * Request options: with a session, a step-up of that session (its user's passkeys allowed);
   * without, a discoverable sign-in (the browser offers whichever passkey the person picks).
   */
  async authenticationOptions(
    auth: SessionAuth | undefined,
  ): Promise<CeremonyOptions<PublicKeyCredentialRequestOptionsJSON>> {
    const issued = issueChallenge();
    const options = await generateAuthenticationOptions({
      rpID: this.config.webauthn.rpId,
      challenge: issued.bytes,
      timeout: CHALLENGE_TTL_MS,
      userVerification: 'required',
      allowCredentials: auth ? descriptors(await this.passkeys.credentialsOf(auth.user.id)) : [],
    });
    const challengeId = await this.passkeys.insertChallenge({
      challengeHash: issued.hash,
      purpose: auth ? 'step-up' : 'sign-in',
      userId: auth?.user.id ?? null,
      sessionId: auth?.session.id ?? null,
      expiresAt: this.expiry(),
    });
    return { challengeId, options };
  }

  /** Verifies the browser's answer to a registration challenge of this user and stores the passkey. */
  @Transactional()
  async register(user: UserView, registration: Registration, client: ClientInfo): Promise<PasskeySummary> {
    const invalid = () => new DomainError('passkey_invalid', {}, { status: 400 });
    const spent = await this.spend(
      { id: registration.challengeId, purpose: 'registration', userId: user.id, now: this.clock.now() },
      invalid,
    );
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response: registration.response as RegistrationResponseJSON,
        expectedChallenge: (challenge) => challengeMatches(spent, challenge),
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        requireUserPresence: true,
        requireUserVerification: true,
      });
    } catch (error) {
      this.logger.debug({ error: describeError(error), msg: 'passkey registration refused' });
      throw invalid();
    }
    if (!verified.verified) throw invalid();
    const { credential, credentialBackedUp, credentialDeviceType } = verified.registrationInfo;
    const now = this.clock.now();
    const name = registration.name?.trim() || `Passkey on ${deviceName(client.userAgent)}`.slice(0, 100);
    await this.passkeys.lockUser(user.id);
    const passkey = await this.passkeys.insert({
      userId: user.id,
      credentialId: credential.id,
      publicKey: Buffer.from(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? [],
      backedUp: credentialBackedUp,
      deviceType: credentialDeviceType,
      name,
      createdAt: now,
    });
    // The same authenticator registered twice (excludeCredentials should have stopped it).
    if (!passkey) throw invalid();
    await this.users.setHasPasskey(user.id, true);
    await this.audit.record({
      action: 'passkey.added',
      actor: user,
      client,
      target: `passkey:${passkey.id}`,
      details: { backedUp: passkey.backedUp },
    });
    await this.outbox.enqueue(user.email, 'passkey-added', { name: passkey.name, at: now.toUTCString() });
    return passkey;
  }

  /** The user's passkeys, newest first. */
  list(userId: string): Promise<PasskeySummary[]> {
    return this.passkeys.listByUser(userId);
  }

  /** Ownership is part of the query: another user's passkey is as missing as an unknown one. */
  @Transactional()
  async rename(user: UserView, id: string, name: string, client: ClientInfo): Promise<PasskeySummary> {
    const passkey = await this.passkeys.renameOwned(user.id, id, name.trim());
    if (!passkey) throw new DomainError('not_found');
    await this.audit.record({ action: 'passkey.renamed', actor: user, client, target: `passkey:${id}` });
    return passkey;
  }

  @Transactional()
  async remove(user: UserView, id: string, client: ClientInfo): Promise<void> {
    await this.passkeys.lockUser(user.id);
    const passkey = await this.passkeys.deleteOwned(user.id, id);
    if (!passkey) throw new DomainError('not_found');
    await this.users.setHasPasskey(user.id, (await this.passkeys.countByUser(user.id)) > 0);
    await this.audit.record({ action: 'passkey.removed', actor: user, client, target: `passkey:${id}` });
    await this.outbox.enqueue(user.email, 'passkey-removed', {
      name: passkey.name,
      at: this.clock.now().toUTCString(),
    });
  }

  /**
   * Checks a sign-in or step-up assertion: the challenge (spent here, whatever the outcome), the
   * passkey it names, the signature, origin, RP id, user verification and the signature counter.
   * On success the passkey's counter and last use are recorded. Throws `passkey_invalid` (401)
   * otherwise; the caller turns success into a session or a confirmation.
   */
  async verifyAssertion(check: AssertionCheck): Promise<VerifiedAssertion> {
    const invalid = () => new DomainError('passkey_invalid');
    const claim: ChallengeClaim =
      check.purpose === 'step-up'
        ? {
            id: check.challengeId,
            purpose: 'step-up',
            userId: check.userId,
            sessionId: check.sessionId,
            now: this.clock.now(),
          }
        : { id: check.challengeId, purpose: 'sign-in', now: this.clock.now() };
    const spent = await this.spend(claim, invalid);
    const response = check.response as AuthenticationResponseJSON;
    const credentialId = typeof response?.id === 'string' ? response.id : undefined;
    const passkey = credentialId ? await this.passkeys.findByCredentialId(credentialId) : undefined;
    if (!passkey) throw invalid();
    if (check.purpose === 'step-up' && passkey.userId !== check.userId) throw invalid();
    // A discoverable sign-in names the account too: it must be the passkey's.
    const userHandle = response.response?.userHandle;
    if (userHandle && userHandle !== Buffer.from(userHandleOf(passkey.userId)).toString('base64url')) {
      throw invalid();
    }
    const storedCounter = Number(passkey.counter);
    let newCounter: number;
    try {
      const verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => challengeMatches(spent, challenge),
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        requireUserVerification: true,
        // The counter rule is counterAcceptable's, checked again atomically by recordUse.
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: 0,
          transports: passkey.transports as AuthenticatorTransport[],
        },
      });
      if (!verified.verified) throw new Error('not verified');
      newCounter = verified.authenticationInfo.newCounter;
    } catch (error) {
      this.logger.debug({ error: describeError(error), msg: 'passkey assertion refused' });
      throw invalid();
    }
    if (!counterAcceptable(storedCounter, newCounter)) throw invalid();
    if (!(await this.passkeys.recordUse(passkey.id, newCounter, this.clock.now()))) throw invalid();
    return { userId: passkey.userId, passkeyId: passkey.id };
  }

  countForUser(userId: string): Promise<number> {
    return this.passkeys.countByUser(userId);
  }

  async hasPasskey(userId: string): Promise<boolean> {
    return (await this.passkeys.countByUser(userId)) > 0;
  }

  /**
   * Spends the challenge on its own connection, outside the caller's transaction: a failed
   * ceremony rolls the caller back, and the challenge must stay spent all the same.
   */
  private async spend(claim: ChallengeClaim, invalid: () => DomainError): Promise<Buffer> {
    if (!isUuid(claim.id)) throw invalid();
    const spent = await this.txHost.detached(() => this.passkeys.consumeChallenge(claim));
    if (!spent) throw invalid();
    return spent.challengeHash;
  }

  private expiry(): Date {
    return new Date(this.clock.now().getTime() + CHALLENGE_TTL_MS);
  }
}

function descriptors(credentials: CredentialDescriptor[]) {
  return credentials.map(({ credentialId, transports }) => ({
    id: credentialId,
    transports: transports as AuthenticatorTransport[],
  }));
}
