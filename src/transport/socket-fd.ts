/**
 * The file descriptor of one of this process's bound UDP sockets, so that worker threads can read
 * the very same socket (Kamailio's model: every child receives on the one socket, and the kernel
 * hands each datagram to whichever reader asks first, whatever peer sent it). Node exposes no fd
 * of a dgram socket; Linux's /proc does: /proc/net/udp{,6} maps the local address to a socket
 * inode, and /proc/self/fd maps our descriptors to inodes. Elsewhere the answer is undefined.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import ipaddr from 'ipaddr.js';

/** Whether this system shows sockets in /proc (Linux), so that findUdpSocketFd can work. */
export function canShareUdpSockets(): boolean {
  try {
    readFileSync('/proc/net/udp', 'latin1');
    readdirSync('/proc/self/fd');
    return true;
  } catch {
    return false;
  }
}

/**
 * The /proc/net/udp{,6} form of a local address: IPv4 as one 32-bit word, IPv6 as four, each
 * word in host (little-endian) byte order, in upper-case hex; then `:` and the port.
 */
export function procLocalAddress(address: string, port: number, family: 4 | 6): string {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const bytes = (family === 4 ? ipaddr.IPv4 : ipaddr.IPv6).parse(address).toByteArray();
  let hex = '';
  for (let word = 0; word < bytes.length; word += 4) {
    for (let i = 3; i >= 0; i--) hex += bytes[word + i]!.toString(16).toUpperCase().padStart(2, '0');
  }
  return `${hex}:${hexPort}`;
}

/** The inodes of the sockets bound to `local` (procLocalAddress form) in /proc/net/udp text. */
export function inodesBoundTo(text: string, local: string): string[] {
  const inodes: string[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 10 && cols[1] === local) inodes.push(cols[9]!);
  }
  return inodes;
}

/** This process's descriptor of the UDP socket bound to address:port, or undefined. */
export function findUdpSocketFd(address: string, port: number, family: 4 | 6): number | undefined {
  let inodes: string[];
  try {
    inodes = inodesBoundTo(readFileSync(family === 6 ? '/proc/net/udp6' : '/proc/net/udp', 'latin1'), procLocalAddress(address, port, family));
  } catch {
    return undefined;
  }
  // other processes may hold sockets on the same address (SO_REUSEPORT): only ours count
  const wanted = new Set(inodes.map((inode) => `socket:[${inode}]`));
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (wanted.has(readlinkSync(`/proc/self/fd/${fd}`))) return Number(fd);
    } catch {
      // a descriptor closed while we looked
    }
  }
  return undefined;
}
