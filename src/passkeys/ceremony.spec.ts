import { challengeHash, challengeMatches, counterAcceptable, isUuid, issueChallenge, userHandleOf } from './ceremony';

describe('WebAuthn ceremony helpers', () => {
  it('issue a fresh 32-byte challenge each time and keep only its hash', () => {
    const first = issueChallenge();
    const second = issueChallenge();
    expect(first.challenge).not.toBe(second.challenge);
    expect(Buffer.from(first.challenge, 'base64url')).toHaveLength(32);
    expect(Buffer.from(first.bytes).toString('base64url')).toBe(first.challenge);
    expect(first.hash.equals(challengeHash(first.challenge))).toBe(true);
    expect(first.hash.toString('base64url')).not.toContain(first.challenge);
  });

  it('match a response challenge against the stored hash only when it is the same challenge', () => {
    const { challenge, hash } = issueChallenge();
    expect(challengeMatches(hash, challenge)).toBe(true);
    expect(challengeMatches(hash, issueChallenge().challenge)).toBe(false);
    expect(challengeMatches(hash, '')).toBe(false);
    expect(challengeMatches(Buffer.alloc(3), challenge)).toBe(false);
  });

  it("make the user handle from the account id's bytes", () => {
    const handle = userHandleOf('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(Buffer.from(handle).toString('hex')).toBe('0f8fad5bd9cb469fa16570867728950e');
    expect(() => userHandleOf('alice@example.com')).toThrow();
  });

  it.each([
    [0, 0, true],
    [0, 5, true],
    [7, 0, false],
    [7, 8, true],
    [7, 7, false],
    [7, 3, false],
  ])('stored counter %d, received %d: accepted %s', (stored, received, accepted) => {
    expect(counterAcceptable(stored, received)).toBe(accepted);
  });

  it('recognise a UUID and nothing else', () => {
    expect(isUuid('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(true);
    expect(isUuid('0f8fad5b-d9cb-469f-a165-70867728950')).toBe(false);
    expect(isUuid("'; DROP TABLE passkeys; --")).toBe(false);
    expect(isUuid(42)).toBe(false);
  });
});
