import { Controller, Get } from '@nestjs/common';
import { isOrgRoute } from '../http';
import { mfaMethods, mfaRequired, orgMfaVerdict, SessionProof } from './org-mfa.guard';

const ORG = '3f1c0a52-7d5e-4c1b-9a53-0b6f0d3c8e11';
const OTHER_ORG = '9a0e4b1c-2d3f-4e5a-8b6c-7d8e9f0a1b2c';
const WITH_TOTP = { twoFactorEnabled: true, hasPasskey: false };
const WITH_PASSKEY = { twoFactorEnabled: false, hasPasskey: true };
const NO_FACTOR = { twoFactorEnabled: false, hasPasskey: false };
const proof = (over: Partial<SessionProof> = {}): SessionProof => ({
  secondFactorAt: null,
  ssoOrgId: null,
  currentToken: true,
  ...over,
});

describe('orgMfaVerdict', () => {
  it('lets in a session that proved a second factor of an account that has one', () => {
    expect(orgMfaVerdict(WITH_TOTP, proof({ secondFactorAt: new Date() }), ORG)).toBe('allowed');
    expect(orgMfaVerdict(WITH_PASSKEY, proof({ secondFactorAt: new Date() }), ORG)).toBe('allowed');
  });

  it('asks a session that proved none to confirm, and an account without one to enrol', () => {
    expect(orgMfaVerdict(WITH_TOTP, proof(), ORG)).toBe('confirm');
    expect(orgMfaVerdict(NO_FACTOR, proof(), ORG)).toBe('enroll');
    expect(orgMfaVerdict(WITH_TOTP, undefined, ORG)).toBe('confirm');
  });

  it('asks an account that turned its factor off to enrol, whatever its session proved', () => {
    expect(orgMfaVerdict(NO_FACTOR, proof({ secondFactorAt: new Date() }), ORG)).toBe('enroll');
  });

  it("counts the organization's own SSO session, not another organization's", () => {
    expect(orgMfaVerdict(NO_FACTOR, proof({ ssoOrgId: ORG }), ORG)).toBe('allowed');
    expect(orgMfaVerdict(NO_FACTOR, proof({ ssoOrgId: OTHER_ORG }), ORG)).toBe('enroll');
    expect(orgMfaVerdict(WITH_TOTP, proof({ ssoOrgId: OTHER_ORG }), ORG)).toBe('confirm');
  });

  it('never counts what the session proved for a token a rotation replaced', () => {
    const replaced = proof({ secondFactorAt: new Date(), ssoOrgId: ORG, currentToken: false });
    expect(orgMfaVerdict(WITH_TOTP, replaced, ORG)).toBe('confirm');
    expect(orgMfaVerdict(NO_FACTOR, replaced, ORG)).toBe('enroll');
  });
});

describe('mfaMethods and mfaRequired', () => {
  const user = { hasPassword: true, ssoProviderId: null };
  it('offers only the step-up methods that prove a second factor', () => {
    expect(mfaMethods({ ...user, ...WITH_TOTP })).toEqual(['totp']);
    expect(mfaMethods({ ...user, ...WITH_PASSKEY })).toEqual(['passkey']);
    expect(mfaMethods({ ...user, twoFactorEnabled: true, hasPasskey: true })).toEqual(['totp', 'passkey']);
  });

  it('says where and with what to confirm', () => {
    const error = mfaRequired(['totp', 'passkey']);
    expect([error.code, error.status, error.extra]).toEqual([
      'mfa_required',
      403,
      { confirmUrl: '/auth/confirm', methods: ['totp', 'passkey'] },
    ]);
    expect(error.message).toBe(
      'This organization requires a second factor: confirm this session with POST /auth/confirm (an authenticator or recovery code or a passkey).',
    );
  });
});

describe('isOrgRoute', () => {
  @Controller('orgs')
  class Orgs {
    @Get() list(): void {}
    @Get(':id') get(): void {}
    @Get(':id/members') members(): void {}
  }
  @Controller('orgs/:id/scim/tokens')
  class Tokens {
    @Get() list(): void {}
    @Get(':tokenId') get(): void {}
  }
  @Controller('orgs-archive')
  class Lookalike {
    @Get(':id') get(): void {}
  }
  @Controller()
  class Root {
    @Get('orgs/:id/later') later(): void {}
    @Get('invitations/:id') invitation(): void {}
  }

  it('covers every route whose template starts with /orgs/:id, whoever declares it', () => {
    expect(isOrgRoute(Orgs, Orgs.prototype.get)).toBe(true);
    expect(isOrgRoute(Orgs, Orgs.prototype.members)).toBe(true);
    expect(isOrgRoute(Tokens, Tokens.prototype.list)).toBe(true);
    expect(isOrgRoute(Tokens, Tokens.prototype.get)).toBe(true);
    expect(isOrgRoute(Root, Root.prototype.later)).toBe(true);
  });

  it('leaves the others alone', () => {
    expect(isOrgRoute(Orgs, Orgs.prototype.list)).toBe(false);
    expect(isOrgRoute(Lookalike, Lookalike.prototype.get)).toBe(false);
    expect(isOrgRoute(Root, Root.prototype.invitation)).toBe(false);
  });
});
