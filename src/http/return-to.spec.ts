import { MAX_RETURN_TO_LENGTH, sameOriginPath } from './return-to';

describe('sameOriginPath', () => {
  it.each(['/', '/dashboard', '/orgs/42/docs?tab=recent#top', '/a/b/../c', '/%2F%2Fencoded', '/caf%C3%A9'])(
    'keeps the same-origin path %s',
    (path) => {
      expect(sameOriginPath(path)).toBe(path);
    },
  );

  it.each([
    ['a protocol-relative URL', '//evil.test/x'],
    ['an absolute URL', 'https://evil.test/x'],
    ['a scheme', 'javascript:alert(1)'],
    ['a relative path', 'dashboard'],
    ['a backslash', '/\\evil.test'],
    ['a backslash later on', '/ok\\..\\x'],
    ['a tab', '/\t/evil.test'],
    ['a newline', '/x\nSet-Cookie: a=b'],
    ['a space', '/a b'],
    ['a NUL', '/a\u0000'],
    ['a DEL', '/a\u007f'],
    ['a non-breaking space', '/a\u00a0b'],
    ['an empty string', ''],
    ['too long', '/' + 'a'.repeat(MAX_RETURN_TO_LENGTH)],
  ])('drops %s', (_name, value) => {
    expect(sameOriginPath(value)).toBeNull();
  });

  it('percent-encodes what is not ASCII, so that it fits a Location header', () => {
    expect(sameOriginPath('/café/€?q=☃#ü')).toBe('/caf%C3%A9/%E2%82%AC?q=%E2%98%83#%C3%BC');
    expect(sameOriginPath('/😀')).toBe('/%F0%9F%98%80');
    expect(sameOriginPath('/a\ud800')).toBeNull();
    expect(sameOriginPath('/' + 'é'.repeat(MAX_RETURN_TO_LENGTH / 6 + 1))).toBeNull();
  });

  it('drops what is not a string', () => {
    expect(sameOriginPath(undefined)).toBeNull();
    expect(sameOriginPath(['/a'])).toBeNull();
    expect(sameOriginPath(42)).toBeNull();
  });

  it('keeps a path of the longest length', () => {
    const longest = '/' + 'a'.repeat(MAX_RETURN_TO_LENGTH - 1);
    expect(sameOriginPath(longest)).toBe(longest);
  });
});
