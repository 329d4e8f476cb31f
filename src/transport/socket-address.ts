/**
 * Small address helpers shared by the transports: SIP writes IPv6 hosts in brackets, sockets
 * want them bare, and dual-stack sockets report IPv4 peers in their IPv4-mapped form.
 */
import { isIP } from 'node:net';

/** "[::1]" → "::1"; any other host is returned unchanged. */
export function unbracket(host: string): string {
  return host.length > 2 && host.charCodeAt(0) === 0x5b && host.charCodeAt(host.length - 1) === 0x5d
    ? host.slice(1, -1)
    : host;
}

/** The host as it is written in a URI or a Via: IPv6 addresses get brackets. */
export function uriHost(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

/** A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; SIP headers want a.b.c.d. */
export function normalizeAddress(address: string): string {
  return address.length > 7 && address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** 4, 6, or 0 for a hostname (brackets allowed). */
export function familyOf(host: string): 0 | 4 | 6 {
  return isIP(unbracket(host)) as 0 | 4 | 6;
}

/** Whether a Via / URI host names the same address as a socket address (brackets and case aside). */
export function sameHost(host: string, address: string): boolean {
  const bare = unbracket(host);
  return bare === address || bare.toLowerCase() === address.toLowerCase();
}

/** The lookup key of a peer, "host:port", with the host bare and lower-cased. */
export function addressKey(host: string, port: number): string {
  return `${unbracket(host).toLowerCase()}:${port}`;
}

/** The wildcard addresses a listener may bind. */
export function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}
