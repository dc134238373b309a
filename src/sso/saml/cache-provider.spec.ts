import {
  InMemorySamlRequestStore,
  SAML_REQUEST_TTL_MS,
  SamlCacheProvider,
  type SamlRequestStore,
} from './cache-provider';

describe('SamlCacheProvider', () => {
  let now: Date;
  let store: InMemorySamlRequestStore;
  let cache: SamlCacheProvider;

  beforeEach(() => {
    now = new Date('2030-01-01T00:00:00.000Z');
    store = new InMemorySamlRequestStore(() => now);
    cache = new SamlCacheProvider(store, () => now);
  });

  it('saves, reads back the same value, and removes once', async () => {
    const issueInstant = '2030-01-01T00:00:00.000Z';
    expect(await cache.saveAsync('_req1', issueInstant)).toEqual({ value: issueInstant, createdAt: now.getTime() });
    expect(await cache.getAsync('_req1')).toBe(issueInstant);
    expect(await cache.removeAsync('_req1')).toBe(issueInstant);
    expect(await cache.getAsync('_req1')).toBeNull();
    expect(await cache.removeAsync('_req1')).toBeNull();
  });

  it('does not overwrite an id that is already waiting', async () => {
    await cache.saveAsync('_req1', 'first');
    expect(await cache.saveAsync('_req1', 'second')).toBeNull();
    expect(await cache.getAsync('_req1')).toBe('first');
  });

  it('forgets an id after the time-to-live, on the injected clock', async () => {
    await cache.saveAsync('_req1', 'v');
    now = new Date(now.getTime() + SAML_REQUEST_TTL_MS - 1);
    expect(await cache.getAsync('_req1')).toBe('v');
    now = new Date(now.getTime() + 1);
    expect(await cache.getAsync('_req1')).toBeNull();
    expect(await cache.removeAsync('_req1')).toBeNull();
  });

  it('answers null for removeAsync(null) without touching the store (node-saml calls it for responses without InResponseTo)', async () => {
    const calls: string[] = [];
    const spy: SamlRequestStore = {
      save: async () => true,
      get: async () => null,
      remove: async (key) => {
        calls.push(key);
        return null;
      },
    };
    expect(await new SamlCacheProvider(spy, () => now).removeAsync(null)).toBeNull();
    expect(calls).toEqual([]);
  });

  it('passes the expiry to the store', async () => {
    const saved: Array<[string, string, Date]> = [];
    const spy: SamlRequestStore = {
      save: async (key, value, expiresAt) => {
        saved.push([key, value, expiresAt]);
        return true;
      },
      get: async () => null,
      remove: async () => null,
    };
    await new SamlCacheProvider(spy, () => now, 60_000).saveAsync('_req1', 'v');
    expect(saved).toEqual([['_req1', 'v', new Date(now.getTime() + 60_000)]]);
  });

  it('keeps stores apart: an id saved for one provider is unknown to another', async () => {
    const other = new SamlCacheProvider(new InMemorySamlRequestStore(() => now), () => now);
    await cache.saveAsync('_req1', 'v');
    expect(await other.getAsync('_req1')).toBeNull();
  });
});
