import { AdminKeysService, parseAdminKeyRequest } from '../../src/admin/admin-keys.service';
import { TestApp } from './test-app';

export interface TestAdminKey {
  id: string;
  key: string;
}

/** An admin key made as `npm run admin -- keys:create --name NAME --scopes …` makes it. */
export async function createAdminKey(t: TestApp, scopes: string, name = 'test operator'): Promise<TestAdminKey> {
  const created = await t.app.get(AdminKeysService).create(parseAdminKeyRequest(name, scopes));
  return { id: created.id, key: created.key };
}

export const ALL_ADMIN_SCOPES = 'users:read,users:write,audit:read,webhooks:write,sessions:introspect';
