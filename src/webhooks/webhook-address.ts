import { lookup as dnsLookup, LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { isIP, isIPv4 } from 'node:net';

/** Why an address is not one to send a webhook to; undefined when it is a public unicast address. */
export type RefusedRange =
  'unspecified' | 'loopback' | 'private' | 'link-local' | 'shared (CGNAT)' | 'multicast' | 'reserved';

type Range = [base: number, bits: number, kind: RefusedRange];

/** IPv4 ranges no webhook goes to (as 32-bit numbers). */
const IPV4_RANGES: Range[] = [
  [v4('0.0.0.0'), 8, 'unspecified'],
  [v4('10.0.0.0'), 8, 'private'],
  [v4('100.64.0.0'), 10, 'shared (CGNAT)'],
  [v4('127.0.0.0'), 8, 'loopback'],
  [v4('169.254.0.0'), 16, 'link-local'],
  [v4('172.16.0.0'), 12, 'private'],
  [v4('192.0.0.0'), 24, 'reserved'],
  [v4('192.168.0.0'), 16, 'private'],
  [v4('198.18.0.0'), 15, 'reserved'],
  [v4('224.0.0.0'), 4, 'multicast'],
  [v4('240.0.0.0'), 4, 'reserved'],
];

function v4(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function inV4Range(address: number, [base, bits]: Range): boolean {
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(base / size);
}

/** The eight 16-bit groups of an IPv6 address (an embedded dotted quad read as two groups). */
function v6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const n = v4(tail);
    text = `${text.slice(0, lastColon + 1)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const middle = rest === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((group) => parseInt(group, 16));
}

/**
 * Why an address (v4 or v6, as DNS answers it) must not receive a webhook: loopback, private
 * (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud metadata address,
 * fe80::/10), unspecified, CGNAT 100.64/10, multicast and reserved ranges, and those IPv4 ranges
 * inside IPv6 (mapped ::ffff:0:0/96, translated ::ffff:0:0:0/96, compatible ::/96, NAT64 64:ff9b::/96
 * and 64:ff9b:1::/48, 6to4 2002::/16). Undefined when none.
 * Anything that is not an address is refused.
 */
export function refusedRange(address: string): RefusedRange | undefined {
  const family = isIP(address.split('%')[0]);
  if (family === 4) {
    const n = v4(address);
    return IPV4_RANGES.find((range) => inV4Range(n, range))?.[2];
  }
  if (family !== 6) return 'reserved';
  const g = v6Groups(address);
  const embeddedV4 = () => refusedRange(`${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`);
  const zeroUpTo = (n: number) => g.slice(0, n).every((group) => group === 0);
  if (zeroUpTo(8)) return 'unspecified';
  if (zeroUpTo(7) && g[7] === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated): what the IPv4 address is.
  if (zeroUpTo(5) && g[5] === 0xffff) return embeddedV4() ?? undefined;
  if (zeroUpTo(6)) return embeddedV4() ?? 'reserved';
  // IPv4-translated (SIIT, ::ffff:0:a.b.c.d) is what the IPv4 address is, through a translator.
  if (zeroUpTo(4) && g[4] === 0xffff && g[5] === 0) return embeddedV4();
  // NAT64 (64:ff9b::/96, and the local-use 64:ff9b:1::/48) reaches the IPv4 address it embeds.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((group) => group === 0)) return embeddedV4();
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 1) return embeddedV4() ?? 'reserved';
  // 6to4 (2002::/16) embeds the IPv4 address of its relay site in the next 32 bits.
  if (g[0] === 0x2002) return refusedRange(`${g[1] >> 8}.${g[1] & 255}.${g[2] >> 8}.${g[2] & 255}`);
  if ((g[0] & 0xfe00) === 0xfc00) return 'private';
  if ((g[0] & 0xffc0) === 0xfe80) return 'link-local';
  if ((g[0] & 0xffc0) === 0xfec0) return 'reserved';
  if ((g[0] & 0xff00) === 0xff00) return 'multicast';
  return undefined;
}

/** A webhook's host resolved (or was) to an address it may not be sent to. */
export class RefusedAddressError extends Error {
  readonly code = 'EWEBHOOKADDRESS';

  constructor(readonly range: RefusedRange) {
    super(`is ${range}: refused unless WEBHOOK_ALLOW_PRIVATE=true`);
    this.name = 'RefusedAddressError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** What http.request and net.connect call to resolve a host name. */
export type GuardedLookup = (
  hostname: string,
  options: LookupOneOptions | LookupAllOptions,
  callback: LookupCallback,
) => void;

export type Resolver = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, callback) => dnsLookup(hostname, { all: true }, callback);

/**
 * A `lookup` for the sending socket that resolves once and checks every address it gets: the
 * connection goes to an address that was checked, never to one of a second resolution (DNS
 * rebinding). One refused address refuses the host. With `allowPrivate`, nothing is refused.
 */
export function guardedLookup(allowPrivate: boolean, resolve: Resolver = systemResolver): GuardedLookup {
  return (hostname, options, callback) => {
    resolve(hostname, (error, resolved) => {
      if (error) return callback(error, []);
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
      const addresses = family ? resolved.filter((entry) => entry.family === family) : resolved;
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`no address for the host`), { code: 'ENOTFOUND' }), []);
      }
      const refused = allowPrivate ? undefined : addresses.map((entry) => refusedRange(entry.address)).find(Boolean);
      if (refused) return callback(new RefusedAddressError(refused), []);
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Resolves a host as a delivery would, answering its addresses or throwing RefusedAddressError / the DNS error. */
export function resolveChecked(hostname: string, lookup: GuardedLookup): Promise<LookupAddress[]> {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return new Promise((resolve, reject) =>
    lookup(bare, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses as LookupAddress[]))),
  );
}
