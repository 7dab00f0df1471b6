// The client addresses a guess is counted against, each with the share of the per-address budget it gets.
// IPv4: the address. IPv6: its /64, and the /56 and /48 around it with 4 and 16 times the budget, since one
// subscriber commonly holds a /56 or /48 (tunnel brokers hand out /48s for free): without the wider prefixes an
// attacker would get a fresh budget for each of 256 or 65 536 /64s. IPv4-mapped IPv6 is IPv4; a port some proxies
// append ("1.2.3.4:5678", "[2001:db8::1]:443") is dropped; anything else that is not an address shares one bucket.
import ipaddr from 'ipaddr.js';
import type { AddressKey } from '../authenticators/index.ts';

const IPV6_PREFIXES: ReadonlyArray<readonly [number, number]> = [
  [64, 1],
  [56, 4],
  [48, 16],
];

export function clientAddressKeys(raw: string): AddressKey[] {
  const ip = withoutPort(raw.trim());
  if (!ipaddr.isValid(ip)) return [{ key: 'other', scale: 1 }];
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return [{ key: address.toString(), scale: 1 }];
  const normalized = address.toNormalizedString();
  return IPV6_PREFIXES.map(([bits, scale]) => ({ key: `${ipaddr.IPv6.networkAddressFromCIDR(`${normalized}/${bits}`).toString()}/${bits}`, scale }));
}

function withoutPort(ip: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(ip);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(ip);
  return v4 ? v4[1]! : ip;
}
