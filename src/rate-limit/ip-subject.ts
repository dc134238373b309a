import { isIPv6 } from 'node:net';

/**
 * The unit an IP limit counts: an IPv4 address, or an IPv6 /64 — one customer's network gets a
 * whole /64, so counting single IPv6 addresses would hand an attacker 2^64 buckets.
 */
export function ipSubject(ip: string): string {
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.toLowerCase().split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap(toHextets) : []);
  const left = groups(head);
  const right = groups(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => group.replace(/^0+(?=.)/, ''));
}

/** An embedded IPv4 tail ("::ffff:192.0.2.1") is two hextets. */
function toHextets(group: string): string[] {
  if (!group.includes('.')) return [group];
  const [a, b, c, d] = group.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
