import { emailDomain, isPublicMailDomain, normaliseDomain } from './domains';

describe('normaliseDomain', () => {
  it.each([
    ['Example.COM', 'example.com'],
    [' example.com. ', 'example.com'],
    ['sub.example.co.uk', 'sub.example.co.uk'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseDomain(input)).toBe(expected);
  });

  it.each([
    '',
    'localhost',
    '127.0.0.1',
    'exa mple.com',
    '-bad.example.com',
    'a..b',
    'user@example.com',
    'x'.repeat(64) + '.com',
  ])('refuses %j', (input) => {
    expect(normaliseDomain(input)).toBeUndefined();
  });
});

describe('emailDomain', () => {
  it('answers the normalised domain after the last @', () => {
    expect(emailDomain('Someone@Example.COM')).toBe('example.com');
    expect(emailDomain('"a@b"@bücher.example')).toBe('xn--bcher-kva.example');
    expect(emailDomain('no-at-sign')).toBeUndefined();
  });
});

describe('isPublicMailDomain', () => {
  it('knows the big providers and their subdomains, not a company domain', () => {
    for (const domain of ['gmail.com', 'outlook.com', 'yahoo.com', 'mail.gmail.com']) {
      expect({ domain, public: isPublicMailDomain(domain) }).toEqual({ domain, public: true });
    }
    expect(isPublicMailDomain('acme-corp-example.com')).toBe(false);
    expect(isPublicMailDomain('com')).toBe(false);
  });
});
