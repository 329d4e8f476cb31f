/**
 * The key a source is counted and banned by: an IPv4 address itself, an IPv6 address by its /64
 * (one subscriber's prefix: counting single IPv6 addresses would let one host rotate through 2^64).
 */
import ipaddr from 'ipaddr.js';

export function sourceKey(address: string): string {
  if (!address.includes(':')) return address;
  try {
    const parts = ipaddr.IPv6.parse(address).parts;
    if (parts[0] === 0 && parts[1] === 0 && parts[2] === 0 && parts[3] === 0 && parts[4] === 0 && parts[5] === 0xffff) {
      return `${parts[6]! >> 8}.${parts[6]! & 0xff}.${parts[7]! >> 8}.${parts[7]! & 0xff}`;
    }
    return `${parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
  } catch {
    return address;
  }
}
