'use strict';
// The SCIM line of `npm run bench`: one organization's directory sending its requests one after
// another, as an IdP's provisioning cycle does (Microsoft Entra ID's gallery asks for at least 25
// requests a second): per user, a filter by userName, a create, a read, a PATCH with Entra's ops,
// a deactivation; then a group with the users as members, and its lookup. Answers requests/second.
const { createHash, randomBytes } = require('node:crypto');
const { performance } = require('node:perf_hooks');
const { Client } = require('pg');

const DOMAIN = 'bench-scim.example';
const SCIM_JSON = 'application/scim+json';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** An organization whose SSO domain is verified, and a SCIM token of it, written as the app writes them. */
async function seedDirectory(databaseUrl) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const token = `scim_${randomBytes(32).toString('base64url')}`;
    const {
      rows: [org],
    } = await db.query(`INSERT INTO organizations (name, created_at) VALUES ('Bench Directory', now()) RETURNING id`);
    await db.query(
      `INSERT INTO saml_providers (org_id, protocol, domain, verification_token, domain_verified_at, idp_entity_id,
         idp_sso_url, idp_certs, group_role_map, default_role, created_at, updated_at)
       VALUES ($1, 'saml', $2, 'bench', now(), 'https://idp.bench-scim.example', 'https://idp.bench-scim.example/sso',
         ARRAY['bench'], '{"Bench Admins": "admin"}', 'member', now(), now())`,
      [org.id, DOMAIN],
    );
    await db.query(`INSERT INTO scim_tokens (org_id, name, token_hash, created_at) VALUES ($1, 'bench', $2, now())`, [
      org.id,
      createHash('sha256').update(token).digest(),
    ]);
    return token;
  } finally {
    await db.end();
  }
}

/**
 * Runs provisioning cycles for `seconds` (at least one), strictly one request at a time; throws on
 * an unexpected status.
 */
async function measureScim({ base, databaseUrl, seconds = 10 }) {
  const token = await seedDirectory(databaseUrl);
  let requests = 0;
  const call = async (method, path, body, expected) => {
    const res = await fetch(`${base}/scim/v2${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: SCIM_JSON,
        ...(body ? { 'content-type': SCIM_JSON } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    requests += 1;
    const text = await res.text();
    if (res.status !== expected) throw new Error(`SCIM ${method} ${path} answered ${res.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let cycle = 0;
  do {
    cycle += 1;
    const ids = [];
    for (let i = 0; i < 5; i++) {
      const userName = `user${cycle}.${i}.${Date.now().toString(36)}@${DOMAIN}`;
      const filter = encodeURIComponent(`userName eq "${userName}"`);
      await call('GET', `/Users?filter=${filter}`, undefined, 200);
      const user = await call(
        'POST',
        '/Users',
        {
          schemas: [USER_SCHEMA],
          userName,
          externalId: `ext-${cycle}-${i}`,
          name: { givenName: 'Bench', familyName: `User ${i}` },
          emails: [{ value: userName, type: 'work', primary: true }],
          active: true,
        },
        201,
      );
      await call('GET', `/Users/${user.id}`, undefined, 200);
      await call(
        'PATCH',
        `/Users/${user.id}`,
        {
          schemas: [PATCH_SCHEMA],
          Operations: [
            { op: 'Replace', path: 'name.givenName', value: 'Benched' },
            { op: 'Replace', path: 'emails[type eq "work"].value', value: userName },
          ],
        },
        200,
      );
      ids.push(user.id);
    }
    const groupName = `Bench Group ${cycle}`;
    await call(
      'GET',
      `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`displayName eq "${groupName}"`)}`,
      undefined,
      200,
    );
    const group = await call('POST', '/Groups', { schemas: [GROUP_SCHEMA], displayName: groupName, members: [] }, 201);
    await call(
      'PATCH',
      `/Groups/${group.id}`,
      { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }] },
      200,
    );
    await call(
      'PATCH',
      `/Users/${ids[0]}`,
      { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
      200,
    );
  } while (performance.now() < deadline);
  const elapsed = (performance.now() - started) / 1000;
  return { requests, seconds: elapsed, perSecond: requests / elapsed };
}

module.exports = { measureScim };
