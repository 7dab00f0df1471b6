// The client address a guess is counted against: the IPv4 address, or the /64 an IPv6 address belongs to
// (one subscriber usually holds a whole /64, so counting single IPv6 addresses would give an attacker 2^64 budgets).
import ipaddr from 'ipaddr.js';

export function clientAddressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return `other:${ip.slice(0, 64)}`;
  const address = ipaddr.process(ip); // IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes the IPv4 address
  if (address.kind() === 'ipv4') return address.toString();
  const prefix = ipaddr.IPv6.networkAddressFromCIDR(`${address.toNormalizedString()}/64`);
  return `${prefix.toString()}/64`;
}
