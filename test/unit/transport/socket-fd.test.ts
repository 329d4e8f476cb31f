import { describe, expect, it } from 'vitest';
import { inodesBoundTo, procLocalAddress } from '../../../src/transport/socket-fd.js';

// Rows as Linux prints them (trailing columns shortened).
const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  271: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 91234 2 0000000000000000 0
  272: 0200007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 91235 2 0000000000000000 0
  273: 0100007F:13C4 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 77777 2 0000000000000000 0
`;

describe('the /proc/net/udp form of a local address', () => {
  it.each([
    ['127.0.0.1', 5060, 4, '0100007F:13C4'],
    ['0.0.0.0', 5060, 4, '00000000:13C4'],
    ['192.0.2.10', 65535, 4, '0A0200C0:FFFF'],
    ['::1', 5060, 6, '00000000000000000000000001000000:13C4'],
    ['::', 5061, 6, '00000000000000000000000000000000:13C5'],
    ['2001:db8::7', 7, 6, 'B80D0120000000000000000007000000:0007'],
  ] as const)('%s port %i', (address, port, family, expected) => {
    expect(procLocalAddress(address, port, family)).toBe(expected);
  });
});

describe('inodesBoundTo', () => {
  it('lists every socket bound to exactly that address and port (ours and other processes\')', () => {
    expect(inodesBoundTo(UDP, '0100007F:13C4')).toEqual(['91234', '77777']);
    expect(inodesBoundTo(UDP, '0200007F:13C4')).toEqual(['91235']);
    expect(inodesBoundTo(UDP, '0100007F:13C5')).toEqual([]);
  });
});
