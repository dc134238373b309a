import { groupsOf, profileOf } from './claims';
import { OidcRejection } from './errors';

describe('OIDC claims', () => {
  it('reads groups as an array or a space-separated string', () => {
    expect(groupsOf(['a', 'b', 3])).toEqual(['a', 'b']);
    expect(groupsOf('a  b c')).toEqual(['a', 'b', 'c']);
    expect(groupsOf({ a: 1 })).toEqual([]);
  });

  it('takes the ID token over userinfo, and auth_time as the authentication time', () => {
    const profile = profileOf(
      { sub: 's', email: 'a@x.test', auth_time: 1000, iat: 2000, roles: 'r1 r2' },
      { sub: 's', email: 'b@x.test', name: 'Ada' },
      'roles',
    );
    expect(profile).toEqual({
      subject: 's',
      email: 'a@x.test',
      name: 'Ada',
      groups: ['r1', 'r2'],
      authenticatedAt: new Date(1_000_000),
    });
  });

  it('refuses an address the OP says is not verified', () => {
    expect(() => profileOf({ sub: 's', email: 'a@x.test', email_verified: false, iat: 1 }, undefined, null)).toThrow(
      OidcRejection,
    );
  });
});
