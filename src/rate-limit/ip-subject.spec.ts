import { ipSubject } from './ip-subject';

describe('ipSubject', () => {
  it('keeps IPv4 addresses whole', () => {
    expect(ipSubject('203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts IPv6 addresses by their /64, however they are written', () => {
    const subject = ipSubject('2001:db8:85a3:12::1');
    expect(subject).toBe('2001:db8:85a3:12::/64');
    expect(ipSubject('2001:0db8:85a3:0012:ffff:ffff:ffff:ffff')).toBe(subject);
    expect(ipSubject('2001:DB8:85A3:12:abcd::')).toBe(subject);
    expect(ipSubject('2001:db8:85a3:13::1')).not.toBe(subject);
    expect(ipSubject('::1')).toBe('0:0:0:0::/64');
    expect(ipSubject('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
  });
});
