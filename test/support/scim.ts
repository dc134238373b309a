import { TestApp } from './test-app';
import { TxtDnsServer } from './txt-dns-server';
import { bearer, SignedUp, signUpVerified } from './users';
import { selfSigned } from './x509';

export const SCIM_JSON = 'application/scim+json';

/** An organization whose SAML connection has its domain verified (what SCIM provisioning needs), and its owner. */
export async function orgWithVerifiedDomain(
  t: TestApp,
  dns: TxtDnsServer,
  domain: string,
  settings: { groupRoleMap?: Record<string, string>; defaultRole?: string } = {},
): Promise<{ orgId: string; owner: SignedUp; connectionId: string }> {
  const owner = await signUpVerified(t, `boss.${Date.now().toString(36)}@${domain}`, undefined, 'Olga Owner');
  const orgId = (
    await t.http
      .post('/orgs')
      .set(bearer(owner.token))
      .send({ name: `Org ${domain.split('.')[0]}` })
      .expect(201)
  ).body.id;
  const saved = await t.http
    .put(`/orgs/${orgId}/sso/saml`)
    .set(bearer(owner.token))
    .send({
      domain,
      idpEntityId: `https://idp.${domain}/metadata`,
      idpSsoUrl: `https://idp.${domain}/sso`,
      idpCert: selfSigned({ commonName: `${domain}-idp` }).cert,
      ...settings,
    })
    .expect(200);
  const record = saved.body.domainVerificationRecord as { name: string; value: string };
  dns.records.set(record.name, [record.value]);
  await t.http.post(`/orgs/${orgId}/sso/saml/verify-domain`).set(bearer(owner.token)).expect(200);
  return { orgId, owner, connectionId: saved.body.id };
}

/** A SCIM token of the organization, made by its owner (whose step-up must be fresh). */
export async function scimToken(t: TestApp, orgId: string, owner: { token: string }, name = 'IdP'): Promise<string> {
  const res = await t.http.post(`/orgs/${orgId}/scim/tokens`).set(bearer(owner.token)).send({ name }).expect(201);
  return res.body.token;
}

/** Requests to /scim/v2 as an IdP sends them: the token, and bodies as application/scim+json. */
export function scimClient(t: TestApp, token: string) {
  const send = (method: 'post' | 'put' | 'patch', path: string, body: unknown) =>
    t.http[method](`/scim/v2${path}`)
      .set(bearer(token))
      .set('Content-Type', SCIM_JSON)
      .set('Accept', SCIM_JSON)
      .send(JSON.stringify(body));
  return {
    get: (path: string) => t.http.get(`/scim/v2${path}`).set(bearer(token)).set('Accept', SCIM_JSON),
    delete: (path: string) => t.http.delete(`/scim/v2${path}`).set(bearer(token)),
    post: (path: string, body: unknown) => send('post', path, body),
    put: (path: string, body: unknown) => send('put', path, body),
    patch: (path: string, body: unknown) => send('patch', path, body),
  };
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function patchOp(...operations: Array<Record<string, unknown>>) {
  return { schemas: [PATCH_SCHEMA], Operations: operations };
}
