/**
 * HEP v3 (EEP) encoding, as Homer's collectors read it: a "HEP3" header, the total length, then
 * chunks of vendor id (0 = generic), type id, length (6-byte chunk header included) and value.
 * Pure: the caller gives addresses, ports, time and the raw SIP bytes.
 */
import { isIPv4 } from 'node:net';

/** Generic chunk type ids of the HEP v3 specification. */
export const HepChunk = {
  ipFamily: 0x0001,
  ipProtocol: 0x0002,
  ipv4Source: 0x0003,
  ipv4Destination: 0x0004,
  ipv6Source: 0x0005,
  ipv6Destination: 0x0006,
  sourcePort: 0x0007,
  destinationPort: 0x0008,
  timeSeconds: 0x0009,
  timeMicros: 0x000a,
  protocolType: 0x000b,
  captureId: 0x000c,
  authKey: 0x000e,
  payload: 0x000f,
  nodeName: 0x0013,
} as const;

/** Address families as HEP writes them (the BSD socket constants). */
export const HEP_AF_INET = 2;
export const HEP_AF_INET6 = 10;
/** IP protocol numbers. */
export const HEP_PROTO_UDP = 17;
export const HEP_PROTO_TCP = 6;
/** Protocol type of the payload. */
export const HEP_TYPE_SIP = 1;

export interface HepEndpoint {
  /** IPv4 or IPv6 literal (no brackets); both ends of one packet are of one family. */
  address: string;
  port: number;
}

export interface HepPacket {
  /** IP protocol of the captured message: 17 UDP, 6 TCP (TLS and WS travel on TCP). */
  protocol: number;
  source: HepEndpoint;
  destination: HepEndpoint;
  seconds: number;
  micros: number;
  captureId: number;
  authKey?: Buffer;
  nodeName?: Buffer;
  payload: Buffer;
}

const HEADER = 6;
const CHUNK = 6;

/** One HEP v3 packet; throws RangeError when the packet would not fit HEP's 16-bit length. */
export function encodeHep3(p: HepPacket): Buffer {
  const v4 = isIPv4(p.source.address) && isIPv4(p.destination.address);
  const addressBytes = v4 ? 4 : 16;
  const fixed = 3 * (CHUNK + 1) + 2 * (CHUNK + addressBytes) + 2 * (CHUNK + 2) + 3 * (CHUNK + 4);
  const optional = (p.authKey ? CHUNK + p.authKey.length : 0) + (p.nodeName ? CHUNK + p.nodeName.length : 0);
  const total = HEADER + fixed + optional + CHUNK + p.payload.length;
  if (total > 0xffff) throw new RangeError(`HEP packet of ${total} bytes exceeds 65535`);
  const b = Buffer.allocUnsafe(total);
  b.write('HEP3', 0, 'latin1');
  b.writeUInt16BE(total, 4);
  let at = HEADER;
  at = uint8(b, at, HepChunk.ipFamily, v4 ? HEP_AF_INET : HEP_AF_INET6);
  at = uint8(b, at, HepChunk.ipProtocol, p.protocol);
  at = address(b, at, v4 ? HepChunk.ipv4Source : HepChunk.ipv6Source, p.source.address, v4);
  at = address(b, at, v4 ? HepChunk.ipv4Destination : HepChunk.ipv6Destination, p.destination.address, v4);
  at = uint16(b, at, HepChunk.sourcePort, p.source.port);
  at = uint16(b, at, HepChunk.destinationPort, p.destination.port);
  at = uint32(b, at, HepChunk.timeSeconds, p.seconds);
  at = uint32(b, at, HepChunk.timeMicros, p.micros);
  at = uint8(b, at, HepChunk.protocolType, HEP_TYPE_SIP);
  at = uint32(b, at, HepChunk.captureId, p.captureId);
  if (p.authKey) at = bytes(b, at, HepChunk.authKey, p.authKey);
  if (p.nodeName) at = bytes(b, at, HepChunk.nodeName, p.nodeName);
  bytes(b, at, HepChunk.payload, p.payload);
  return b;
}

function head(b: Buffer, at: number, type: number, length: number): number {
  b.writeUInt16BE(0, at);
  b.writeUInt16BE(type, at + 2);
  b.writeUInt16BE(CHUNK + length, at + 4);
  return at + CHUNK;
}

function uint8(b: Buffer, at: number, type: number, value: number): number {
  at = head(b, at, type, 1);
  b.writeUInt8(value, at);
  return at + 1;
}

function uint16(b: Buffer, at: number, type: number, value: number): number {
  at = head(b, at, type, 2);
  b.writeUInt16BE(value, at);
  return at + 2;
}

function uint32(b: Buffer, at: number, type: number, value: number): number {
  at = head(b, at, type, 4);
  b.writeUInt32BE(value >>> 0, at);
  return at + 4;
}

function bytes(b: Buffer, at: number, type: number, value: Buffer): number {
  at = head(b, at, type, value.length);
  value.copy(b, at);
  return at + value.length;
}

function address(b: Buffer, at: number, type: number, ip: string, v4: boolean): number {
  at = head(b, at, type, v4 ? 4 : 16);
  if (v4) writeIpv4(b, at, ip);
  else writeIpv6(b, at, ip);
  return at + (v4 ? 4 : 16);
}

function writeIpv4(b: Buffer, at: number, ip: string): void {
  let part = 0;
  let value = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 0x2e) {
      b[at + part++] = value;
      value = 0;
    } else {
      value = value * 10 + (c - 0x30);
    }
  }
  b[at + part] = value;
}

/** An IPv6 literal (with `::`, or a v4-mapped tail) into 16 bytes; an IPv4 one is mapped. */
function writeIpv6(b: Buffer, at: number, ip: string): void {
  b.fill(0, at, at + 16);
  if (isIPv4(ip)) {
    b[at + 10] = 0xff;
    b[at + 11] = 0xff;
    writeIpv4(b, at + 12, ip);
    return;
  }
  const zone = ip.indexOf('%');
  const text = zone === -1 ? ip : ip.slice(0, zone);
  const [left, right] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined): number[] => {
    if (!s) return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const tail = Buffer.alloc(4);
        writeIpv4(tail, 0, g);
        out.push(tail.readUInt16BE(0), tail.readUInt16BE(2));
      } else {
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head16 = groups(left);
  const tail16 = groups(right);
  head16.forEach((g, i) => b.writeUInt16BE(g, at + 2 * i));
  tail16.forEach((g, i) => b.writeUInt16BE(g, at + 16 - 2 * (tail16.length - i)));
}
