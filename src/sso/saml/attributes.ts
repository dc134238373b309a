import { plainNameProblem } from '../../common/display-name';

/**
 * Reading people's details out of assertion attributes. IdPs name the same thing differently: LDAP
 * names and OIDs (ADFS, Shibboleth), claim URIs (Entra ID, ADFS), and the names an administrator
 * types in Okta or Google Workspace; the lists below cover the usual ones, compared without case.
 */

const DISPLAY_NAME = [
  'displayName',
  'urn:oid:2.16.840.1.113730.3.1.241',
  'http://schemas.microsoft.com/identity/claims/displayname',
  'name',
  'fullName',
  'full_name',
  'cn',
  'commonName',
  'urn:oid:2.5.4.3',
];
// Not http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name: Entra ID and ADFS put the user
// principal name (an address) there, not a name.
const GIVEN_NAME = [
  'givenName',
  'given_name',
  'firstName',
  'first_name',
  'urn:oid:2.5.4.42',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  'User.FirstName',
];
const SURNAME = [
  'surname',
  'sn',
  'familyName',
  'family_name',
  'lastName',
  'last_name',
  'urn:oid:2.5.4.4',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  'User.LastName',
];

/** The values of every attribute whose name is `name` regardless of case, in assertion order. */
export function attributeValues(attributes: Record<string, string[]>, name: string): string[] {
  const wanted = name.toLowerCase();
  return Object.entries(attributes)
    .filter(([key]) => key.toLowerCase() === wanted)
    .flatMap(([, values]) => values);
}

/**
 * The person's name: a display name, else given name and surname (either alone will do); null when
 * the assertion has none. Control characters go, runs of spaces become one, and the result is cut
 * to `maxLength` characters. A value holding '@' is an address, not a name, and is passed over.
 */
export function assertedName(attributes: Record<string, string[]>, maxLength = 100): string | null {
  const first = (names: string[]) => {
    for (const name of names) {
      const value = attributeValues(attributes, name)
        .map(clean)
        .find((v) => v !== '' && !v.includes('@'));
      if (value !== undefined) return value;
    }
    return '';
  };
  const name = first(DISPLAY_NAME) || clean(`${first(GIVEN_NAME)} ${first(SURNAME)}`);
  // The name goes into mails: a web address or domain there would be a link someone else chose.
  return name === '' || plainNameProblem(name) ? null : cut(name, maxLength);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/gu;

function clean(value: string): string {
  return value.replace(CONTROL, ' ').replace(/\s+/gu, ' ').trim();
}

function cut(value: string, maxLength: number): string {
  const chars = Array.from(value);
  return chars.length <= maxLength ? value : chars.slice(0, maxLength).join('').trimEnd();
}
