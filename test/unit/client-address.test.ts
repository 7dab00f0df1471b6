// Which client address a guess counts against: IPv4 as is, IPv6 by /64 inside its /56 and /48, ports dropped.
import { describe, expect, it } from 'vitest';
import { clientAddressKeys } from '../../stepup/client-address.ts';

describe('clientAddressKeys', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['192.0.2.7:51234', '192.0.2.7'],
    ['0xc0.0.2.7', '192.0.2.7'],
  ])('counts IPv4 %s as %s', (ip, key) => {
    expect(clientAddressKeys(ip)).toEqual([{ key, scale: 1 }]);
  });

  it('counts IPv6 by its /64, /56 and /48 with growing budgets, ignoring a bracketed port and the interface id', () => {
    const expected = [
      { key: '2001:db8:1:2::/64', scale: 1 },
      { key: '2001:db8:1::/56', scale: 4 },
      { key: '2001:db8:1::/48', scale: 16 },
    ];
    expect(clientAddressKeys('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toEqual(expected);
    expect(clientAddressKeys('[2001:db8:1:2::1]:443')).toEqual(expected);
    expect(clientAddressKeys('2001:0db8:0001:0002:0000:0000:0000:0009')).toEqual(expected);
  });

  it('puts two /64s of one /56 apart at /64 and together above it', () => {
    const [a64, a56, a48] = clientAddressKeys('2001:db8:1:10::1');
    const [b64, b56, b48] = clientAddressKeys('2001:db8:1:11::1');
    expect(a64!.key).not.toBe(b64!.key);
    expect(a56!.key).toBe(b56!.key);
    expect(a48!.key).toBe(b48!.key);
  });

  it('puts anything that is not an address into one shared bucket, so junk cannot mint budgets', () => {
    for (const junk of ['', 'unknown', '1.2.3.4.5', 'not-an-ip:80', '[zzz]:1']) expect(clientAddressKeys(junk)).toEqual([{ key: 'other', scale: 1 }]);
  });
});
