import { assertedName, attributeValues } from './attributes';

describe('attributeValues', () => {
  it('collects the values of every attribute with that name, whatever its case', () => {
    const attributes = { groups: ['a'], Groups: ['b', 'c'], other: ['x'] };
    expect(attributeValues(attributes, 'GROUPS')).toEqual(['a', 'b', 'c']);
    expect(attributeValues(attributes, 'missing')).toEqual([]);
  });
});

describe('assertedName', () => {
  it.each([
    ['displayName', { displayName: ['Alice Liddell'] }],
    ['the LDAP OID of displayName', { 'urn:oid:2.16.840.1.113730.3.1.241': ['Alice Liddell'] }],
    [
      'the Entra ID display name claim',
      { 'http://schemas.microsoft.com/identity/claims/displayname': ['Alice Liddell'] },
    ],
    ['name', { name: ['Alice Liddell'] }],
    ['givenName and surname', { givenName: ['Alice'], surname: ['Liddell'] }],
    ['givenName and sn', { givenName: ['Alice'], sn: ['Liddell'] }],
    ['Okta-style firstName and lastName', { firstName: ['Alice'], lastName: ['Liddell'] }],
    ['the OIDs of givenName and sn', { 'urn:oid:2.5.4.42': ['Alice'], 'urn:oid:2.5.4.4': ['Liddell'] }],
    [
      'the ADFS/Entra ID claim URIs',
      {
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': ['Alice'],
        'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': ['Liddell'],
      },
    ],
    ['a name in another case', { DisplayName: ['Alice Liddell'] }],
  ])('reads %s', (_name, attributes) => {
    expect(assertedName(attributes)).toBe('Alice Liddell');
  });

  it('leaves out a name that is a web address or a domain (it goes into mails)', () => {
    expect(assertedName({ displayName: ['https://evil.example/login'] })).toBeNull();
    expect(assertedName({ givenName: ['Visit'], surname: ['evil.example'] })).toBeNull();
  });

  it('prefers the display name, and takes a given name or surname alone', () => {
    expect(assertedName({ givenName: ['A'], surname: ['L'], displayName: ['Alice L.'] })).toBe('Alice L.');
    expect(assertedName({ givenName: ['Alice'] })).toBe('Alice');
    expect(assertedName({ sn: ['Liddell'] })).toBe('Liddell');
  });

  it('passes over the UPN claim, addresses and empty values', () => {
    expect(assertedName({ 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': ['alice@acme.test'] })).toBe(
      null,
    );
    expect(assertedName({ name: ['alice@acme.test'], givenName: ['Alice'] })).toBe('Alice');
    expect(assertedName({ displayName: ['  ', ''], givenName: ['Alice'] })).toBe('Alice');
    expect(assertedName({})).toBeNull();
  });

  it('removes control characters, folds spaces and cuts to the length', () => {
    expect(assertedName({ displayName: [' Alice\u0000\n  Liddell\t'] })).toBe('Alice Liddell');
    expect(assertedName({ displayName: ['é'.repeat(150)] })).toBe('é'.repeat(100));
    expect(assertedName({ displayName: ['Alice Liddell'] }, 6)).toBe('Alice');
  });
});
