import { canonicalEmail } from './email-address';

describe('canonicalEmail', () => {
  it.each([
    ['Someone@Example.COM', 'someone@example.com'],
    ['  a.b+tag@example.com ', 'a.b+tag@example.com'],
    ["o'neil!#$%&*/=?^_`{|}~-@example.com", "o'neil!#$%&*/=?^_`{|}~-@example.com"],
    ['u@bücher.example', 'u@xn--bcher-kva.example'],
    ['u@xn--bcher-kva.example', 'u@xn--bcher-kva.example'],
    ['u@bu\u0308cher.example', 'u@xn--bcher-kva.example'],
    ['u@BÜCHER.example', 'u@xn--bcher-kva.example'],
    [`${'a'.repeat(64)}@example.com`, `${'a'.repeat(64)}@example.com`],
  ])('%j → %j', (input, expected) => {
    expect(canonicalEmail(input)).toBe(expected);
  });

  it.each([
    'a\u0001b@example.com',
    'a\u0000@example.com',
    'a\ud800@example.com',
    '"a b"@example.com',
    '"a\r\nb"@example.com',
    '"a@b"@example.com',
    'a b@example.com',
    '.a@example.com',
    'a.@example.com',
    'a..b@example.com',
    'ü@example.com',
    'u\u0308@example.com',
    '@example.com',
    'a@',
    'a@localhost',
    'a@127.0.0.1',
    'a@[127.0.0.1]',
    'a@example.com.',
    'a@exa mple.com',
    'a@-bad.example',
    'a@xn--.example',
    `${'a'.repeat(65)}@example.com`,
    `${'a'.repeat(64)}@${'b'.repeat(46)}.${'c'.repeat(46)}.${'d'.repeat(46)}.${'e'.repeat(46)}.com`,
    42,
  ])('refuses %j', (input) => {
    expect(canonicalEmail(input)).toBeUndefined();
  });
});
