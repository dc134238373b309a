import { LookupAddress } from 'node:dns';
import { guardedLookup, refusedRange, RefusedAddressError, resolveChecked, Resolver } from './webhook-address';
import { checkWebhookUrl } from './webhook-url';

describe('refusedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    // IPv4-translated (SIIT, ::ffff:0:0/96), 6to4 (2002::/16) and local-use NAT64 (64:ff9b:1::/48) embed one too.
    ['::ffff:0:7f00:1', 'loopback'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['64:ff9b:1::a00:1', 'private'],
    ['not an address', 'reserved'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.255.255',
    '11.0.0.1',
    '2606:4700:4700::1111',
    '2001:db8::1',
    '::ffff:8.8.8.8',
    '::ffff:0:8.8.8.8',
    '2002:808:808::1',
    '64:ff9b::808:808',
    'fec0::1'.replace('fec0', '2a00'),
  ])('allows the public address %s', (address) => {
    expect(refusedRange(address)).toBeUndefined();
  });
});

/** A resolver answering fixed records, as a DNS server that changed its answer would. */
const records =
  (table: Record<string, string[]>): Resolver =>
  (hostname, callback) => {
    const addresses = table[hostname];
    if (!addresses) return callback(Object.assign(new Error('not found'), { code: 'ENOTFOUND' }), []);
    callback(
      null,
      addresses.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };

describe('guardedLookup', () => {
  const resolver = records({
    'public.test': ['93.184.216.34', '2606:4700::1'],
    'rebound.test': ['127.0.0.1'],
    'mixed.test': ['93.184.216.34', '10.0.0.7'],
    'metadata.test': ['::ffff:169.254.169.254'],
  });

  const lookupOne = (allowPrivate: boolean, hostname: string, family?: number) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      guardedLookup(allowPrivate, resolver)(hostname, { family }, (error, address, addressFamily) =>
        resolve({ error, address, family: addressFamily }),
      ),
    );

  it('hands the socket the address it checked', async () => {
    expect(await lookupOne(false, 'public.test')).toEqual({ error: null, address: '93.184.216.34', family: 4 });
    expect(await lookupOne(false, 'public.test', 6)).toEqual({ error: null, address: '2606:4700::1', family: 6 });
    expect(await resolveChecked('public.test', guardedLookup(false, resolver))).toHaveLength(2);
  });

  it('refuses a host any of whose addresses is private, loopback or link-local', async () => {
    for (const host of ['rebound.test', 'mixed.test', 'metadata.test']) {
      const { error } = await lookupOne(false, host);
      expect(error).toBeInstanceOf(RefusedAddressError);
      await expect(resolveChecked(host, guardedLookup(false, resolver))).rejects.toBeInstanceOf(RefusedAddressError);
    }
  });

  it('lets them through with WEBHOOK_ALLOW_PRIVATE', async () => {
    expect(await lookupOne(true, 'rebound.test')).toEqual({ error: null, address: '127.0.0.1', family: 4 });
  });

  it('passes on a resolution that fails', async () => {
    expect((await lookupOne(false, 'missing.test')).error?.code).toBe('ENOTFOUND');
  });

  it('refuses localhost through the system resolver', async () => {
    await expect(resolveChecked('localhost', guardedLookup(false))).rejects.toBeInstanceOf(RefusedAddressError);
  });
});

describe('checkWebhookUrl', () => {
  const lookup = guardedLookup(false, records({ 'hooks.example.test': ['93.184.216.34'] }));
  const check = (url: string, production = true) => checkWebhookUrl(url, { production, allowPrivate: false, lookup });

  it('takes an https URL whose host resolves to public addresses', async () => {
    await expect(check('https://hooks.example.test/authd#frag')).resolves.toBe('https://hooks.example.test/authd');
  });

  it('takes http only outside production', async () => {
    await expect(check('http://hooks.example.test/authd')).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(check('http://hooks.example.test/authd', false)).resolves.toBe('http://hooks.example.test/authd');
  });

  it.each([
    'https://127.0.0.1/',
    'https://[::1]/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://169.254.169.254/',
    'https://unknown.example.test/',
    'https://user:secret@hooks.example.test/',
    'ftp://hooks.example.test/',
    '/relative',
  ])('refuses %s', async (url) => {
    await expect(check(url)).rejects.toMatchObject({
      code: 'validation_failed',
      extra: { details: [{ field: 'url' }] },
    });
  });
});
