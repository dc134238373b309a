import { ScimError } from './scim-error';
import { matchesValueFilter, parseFilter, parsePatchPath } from './scim-filter';
import { applyPatch, parsePatchBody, PATCH_OP_SCHEMA } from './scim-patch';
import { groupFilterOf, GROUP_SHAPE, readUser, USER_SHAPE, userFilterOf } from './scim-resources';

const scimTypeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof ScimError) return error.scimType;
    throw error;
  }
  return 'no error';
};

describe('the SCIM filter grammar (RFC 7644 §3.4.2.2)', () => {
  it('parses comparisons, presence, and/or/not with their precedence, and grouping', () => {
    expect(parseFilter('userName eq "bjensen"')).toEqual({
      kind: 'compare',
      path: { attr: { name: 'userName' } },
      op: 'eq',
      value: 'bjensen',
    });
    expect(parseFilter('title pr')).toEqual({ kind: 'present', path: { attr: { name: 'title' } } });
    // and binds tighter than or.
    const mixed = parseFilter('a eq 1 or b eq true and c eq null');
    expect(mixed).toMatchObject({
      kind: 'or',
      left: { kind: 'compare', value: 1 },
      right: { kind: 'and', left: { value: true }, right: { value: null } },
    });
    expect(parseFilter('not (a eq "x") and (b eq "y" or c eq "z")')).toMatchObject({
      kind: 'and',
      left: { kind: 'not', filter: { kind: 'compare' } },
      right: { kind: 'or' },
    });
    // Operators and keywords are case-insensitive; strings keep JSON escapes.
    expect(parseFilter('userName EQ "a\\"b" AND active Eq False')).toMatchObject({
      kind: 'and',
      left: { op: 'eq', value: 'a"b' },
      right: { value: false },
    });
  });

  it('parses value paths, sub-attributes and schema URNs', () => {
    expect(parseFilter('emails[type eq "work"].value eq "a@b.example"')).toEqual({
      kind: 'compare',
      path: {
        attr: { name: 'emails' },
        valueFilter: { kind: 'compare', path: { attr: { name: 'type' } }, op: 'eq', value: 'work' },
        sub: 'value',
      },
      op: 'eq',
      value: 'a@b.example',
    });
    expect(parseFilter('emails[type eq "work" and value co "@example.com"]')).toMatchObject({
      kind: 'valuePath',
      path: { attr: { name: 'emails' }, valueFilter: { kind: 'and' } },
    });
    expect(parseFilter('name.familyName sw "J"')).toMatchObject({
      path: { attr: { name: 'name', sub: 'familyName' } },
    });
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "B"')).toMatchObject({
      path: { attr: { uri: 'urn:ietf:params:scim:schemas:core:2.0:User', name: 'name', sub: 'givenName' } },
    });
    expect(parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z"')).toMatchObject({ op: 'gt' });
  });

  it.each([
    ['an empty filter', ''],
    ['a missing value', 'userName eq'],
    ['an unquoted string', 'userName eq bjensen'],
    ['an unknown operator', 'userName is "x"'],
    ['an unterminated string', 'userName eq "x'],
    ['an unclosed group', '(userName eq "x"'],
    ['an unclosed value filter', 'emails[type eq "work"'],
    ['trailing input', 'userName eq "x" "y"'],
    ['a dangling and', 'userName eq "x" and'],
    ['not without parentheses', 'not userName eq "x"'],
    ['a stray character', 'userName eq "x" ; drop'],
    ['a bad attribute name', '1abc eq "x"'],
    ['a nested value filter', 'emails[type[value eq "x"] eq "y"]'],
    ['nesting past the limit', `${'('.repeat(40)}a eq 1${')'.repeat(40)}`],
    ['a huge filter', `userName eq "${'x'.repeat(5000)}"`],
  ])('refuses %s with invalidFilter', (_, text) => {
    expect(scimTypeOf(() => parseFilter(text))).toBe('invalidFilter');
  });

  it('matches elements of multi-valued attributes, strings case-insensitively', () => {
    const work = { value: 'A@B.example', type: 'Work', primary: true };
    expect(matchesValueFilter(work, parseFilter('type eq "work"'))).toBe(true);
    expect(matchesValueFilter(work, parseFilter('type eq "home"'))).toBe(false);
    expect(matchesValueFilter(work, parseFilter('type eq "work" and primary eq true'))).toBe(true);
    expect(matchesValueFilter(work, parseFilter('not (type eq "work")'))).toBe(false);
    expect(matchesValueFilter(work, parseFilter('value ew "b.example" or type eq "x"'))).toBe(true);
    expect(matchesValueFilter(work, parseFilter('display pr'))).toBe(false);
  });
});

describe('PatchOp paths (RFC 7644 §3.5.2)', () => {
  it('parses attributes, sub-attributes, value filters and URNs', () => {
    expect(parsePatchPath('active')).toEqual({ attr: { name: 'active' } });
    expect(parsePatchPath('name.givenName')).toEqual({ attr: { name: 'name', sub: 'givenName' } });
    expect(parsePatchPath('members[value eq "2819c223"]')).toMatchObject({
      attr: { name: 'members' },
      valueFilter: { kind: 'compare', value: '2819c223' },
    });
    expect(parsePatchPath('emails[type eq "work"].value')).toMatchObject({ attr: { name: 'emails' }, sub: 'value' });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department')).toEqual({
      attr: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', name: 'department' },
    });
  });

  it.each([['members[value eq "x"'], ['a.b.c'], ['emails[type eq "work"]value'], ['active eq true'], ['']])(
    'refuses %j with invalidPath',
    (text) => {
      expect(scimTypeOf(() => parsePatchPath(text))).toBe('invalidPath');
    },
  );

  const patch = (operations: unknown[]) => ({ schemas: [PATCH_OP_SCHEMA], Operations: operations });

  it('reads ops case-insensitively and refuses malformed bodies', () => {
    expect(parsePatchBody(patch([{ op: 'Replace', path: 'active', value: 'False' }]))).toEqual([
      { op: 'replace', path: { attr: { name: 'active' } }, value: 'False' },
    ]);
    expect(scimTypeOf(() => parsePatchBody({ Operations: [] }))).toBe('invalidSyntax');
    expect(scimTypeOf(() => parsePatchBody(patch([])))).toBe('invalidSyntax');
    expect(scimTypeOf(() => parsePatchBody(patch([{ op: 'move', path: 'a' }])))).toBe('invalidSyntax');
    expect(scimTypeOf(() => parsePatchBody(patch([{ op: 'remove' }])))).toBe('noTarget');
    expect(scimTypeOf(() => parsePatchBody(patch([{ op: 'add', path: 'a' }])))).toBe('invalidValue');
    expect(scimTypeOf(() => parsePatchBody(patch([{ op: 'add', value: 'x' }])))).toBe('invalidValue');
  });

  it('applies Entra’s and Okta’s operations to a user', () => {
    const user: Record<string, unknown> = {
      userName: 'a@acme.example',
      name: { givenName: 'A' },
      emails: [{ value: 'a@acme.example', type: 'work', primary: true }],
      active: true,
    };
    applyPatch(
      user,
      parsePatchBody(
        patch([
          { op: 'Replace', path: 'active', value: 'False' },
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'A@ACME.example' },
          { op: 'Add', value: { 'name.familyName': 'B', displayName: 'A B', 'urn:x:y:z:Ext': { ignored: 1 } } },
          { op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:name.givenName', value: 'Ay' },
          { op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'x' },
          { op: 'remove', path: 'title' },
        ]),
      ),
      USER_SHAPE,
    );
    expect(user).toEqual({
      userName: 'a@acme.example',
      name: { givenName: 'Ay', familyName: 'B' },
      displayName: 'A B',
      emails: [{ value: 'A@ACME.example', type: 'work', primary: true }],
      active: 'False',
    });
    expect(readUser(user)).toMatchObject({ active: false, givenName: 'Ay', familyName: 'B', displayName: 'A B' });
    expect(
      scimTypeOf(() =>
        applyPatch(user, parsePatchBody(patch([{ op: 'replace', path: 'id', value: 'x' }])), USER_SHAPE),
      ),
    ).toBe('mutability');
  });

  it('adds and removes group members, by value filter or by value list', () => {
    const group: Record<string, unknown> = { displayName: 'G', members: [{ value: 'a' }] };
    applyPatch(
      group,
      parsePatchBody(patch([{ op: 'add', path: 'members', value: [{ value: 'b' }, { value: 'a' }] }])),
      GROUP_SHAPE,
    );
    expect(group.members).toEqual([{ value: 'a' }, { value: 'b' }]);
    applyPatch(group, parsePatchBody(patch([{ op: 'Remove', path: 'members[value eq "a"]' }])), GROUP_SHAPE);
    expect(group.members).toEqual([{ value: 'b' }]);
    applyPatch(group, parsePatchBody(patch([{ op: 'Remove', path: 'members', value: [{ value: 'b' }] }])), GROUP_SHAPE);
    expect(group.members).toEqual([]);
    applyPatch(
      group,
      parsePatchBody(patch([{ op: 'replace', value: { displayName: 'H', members: [{ value: 'c' }] } }])),
      GROUP_SHAPE,
    );
    expect(group).toEqual({ displayName: 'H', members: [{ value: 'c' }] });
    applyPatch(group, parsePatchBody(patch([{ op: 'remove', path: 'members' }])), GROUP_SHAPE);
    expect(group.members).toBeUndefined();
  });
});

describe('the filters the directory serves', () => {
  it('takes the contract’s Users filters joined by and', () => {
    expect(
      userFilterOf(
        'userName eq "a@x.example" and externalId eq "e1" and emails[type eq "work"].value eq "a@x.example" and active eq "True"',
      ),
    ).toEqual({ ids: [], addresses: ['a@x.example', 'a@x.example'], externalIds: ['e1'], active: true });
    expect(userFilterOf('active eq true and active eq false').impossible).toBe(true);
    expect(userFilterOf(undefined)).toEqual({ ids: [], addresses: [], externalIds: [] });
  });

  it.each([
    'userName eq "a" or userName eq "b"',
    'userName co "a"',
    'not (userName eq "a")',
    'displayName eq "x"',
    'emails[type eq "home"].value eq "a"',
    'name.familyName eq "x"',
    'userName pr',
    'active eq 1',
  ])('answers invalidFilter to the Users filter %j', (text) => {
    expect(scimTypeOf(() => userFilterOf(text))).toBe('invalidFilter');
  });

  it('takes displayName eq for Groups and nothing else of members', () => {
    expect(groupFilterOf('displayName eq "Admins"')).toEqual({ ids: [], displayNames: ['Admins'], externalIds: [] });
    expect(scimTypeOf(() => groupFilterOf('members[value eq "x"]'))).toBe('invalidFilter');
    expect(scimTypeOf(() => groupFilterOf('displayName sw "A"'))).toBe('invalidFilter');
  });
});
