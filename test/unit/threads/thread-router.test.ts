import { afterEach, describe, expect, it } from 'vitest';
import { datagramOwner, fnv1a, NO_OWNER, threadBranchTag } from '../../../src/threads/thread-router.js';
import { newBranch, setBranchTag } from '../../../src/sip/build.js';

const bytes = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');

function request(callId: string, opts: { method?: string; header?: string; cseq?: string } = {}): Buffer {
  const method = opts.method ?? 'INVITE';
  return bytes([
    `${method} sip:bob@example.com SIP/2.0`,
    'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1.notatag;rport',
    'From: <sip:alice@example.com>;tag=1',
    'To: <sip:bob@example.com>',
    `${opts.header ?? 'Call-ID'}: ${callId}`,
    `CSeq: ${opts.cseq ?? `1 ${method}`}`,
    'Content-Length: 0',
    '',
    '',
  ]);
}

function response(via: string, header = 'Via'): Buffer {
  return bytes(['SIP/2.0 200 OK', `${header}: ${via}`, 'Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK0.second', 'Call-ID: x', 'CSeq: 1 INVITE', 'Content-Length: 0', '', '']);
}

const ownerOfCallId = (callId: string, threads: number) => fnv1a(Buffer.from(callId), 0, Buffer.byteLength(callId)) % threads;

afterEach(() => setBranchTag(''));

describe('fnv1a', () => {
  it('is 32-bit FNV-1a', () => {
    // reference values of the FNV-1a 32-bit test suite
    expect(fnv1a(Buffer.from(''), 0, 0)).toBe(0x811c9dc5);
    expect(fnv1a(Buffer.from('a'), 0, 1)).toBe(0xe40c292c);
    expect(fnv1a(Buffer.from('foobar'), 0, 6)).toBe(0xbf9cf968);
  });
});

describe('datagramOwner: requests by Call-ID', () => {
  it('hashes the Call-ID value, whatever the header spelling, case or spacing', () => {
    const id = 'a84b4c76e66710@pc33.atlanta.com';
    const owner = ownerOfCallId(id, 4);
    expect(datagramOwner(request(id), 4)).toBe(owner);
    expect(datagramOwner(request(id, { header: 'i' }), 4)).toBe(owner);
    expect(datagramOwner(request(id, { header: 'CALL-ID' }), 4)).toBe(owner);
    expect(datagramOwner(request(`  ${id}\t `, { header: 'Call-Id ' }), 4)).toBe(owner);
  });

  it('gives a retransmission, the CANCEL, the ACK and a BYE of a call the same owner', () => {
    const id = 'call-42@host';
    const owners = new Set(
      [request(id), request(id), request(id, { method: 'CANCEL' }), request(id, { method: 'ACK', cseq: '1 ACK' }), request(id, { method: 'BYE', cseq: '2 BYE' })].map((b) =>
        datagramOwner(b, 3),
      ),
    );
    expect(owners).toEqual(new Set([ownerOfCallId(id, 3)]));
  });

  it('spreads Call-IDs evenly over the threads', () => {
    for (const threads of [2, 3, 8]) {
      const counts = new Array<number>(threads).fill(0);
      const n = 8000;
      for (let i = 0; i < n; i++) counts[datagramOwner(request(`${i.toString(16)}-${i * 7919}@10.1.2.3`), threads)]!++;
      for (const c of counts) expect(Math.abs(c - n / threads)).toBeLessThan((n / threads) * 0.1);
    }
  });

  it('has no owner without a Call-ID, or for a datagram that is not SIP', () => {
    expect(datagramOwner(bytes(['OPTIONS sip:x SIP/2.0', 'Via: SIP/2.0/UDP h;branch=z9hG4bKx', '', '']), 2)).toBe(NO_OWNER);
    expect(datagramOwner(bytes(['OPTIONS sip:x SIP/2.0', 'Call-ID:   ', '', '']), 2)).toBe(NO_OWNER);
    expect(datagramOwner(Buffer.from('garbage'), 2)).toBe(NO_OWNER);
    expect(datagramOwner(Buffer.alloc(0), 2)).toBe(NO_OWNER);
    // a Call-ID in the body does not count
    expect(datagramOwner(bytes(['MESSAGE sip:x SIP/2.0', 'Content-Length: 11', '', 'Call-ID: x']), 2)).toBe(NO_OWNER);
  });
});

describe('datagramOwner: responses by the branch tag of the top Via', () => {
  it('reads the thread from the tag after the cookie', () => {
    expect(datagramOwner(response('SIP/2.0/UDP 10.0.0.1:5060;rport=5060;branch=z9hG4bK1.abcdef'), 2)).toBe(1);
    expect(datagramOwner(response('SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK0.abcdef;received=10.0.0.1'), 2)).toBe(0);
    expect(datagramOwner(response('SIP/2.0/UDP 10.0.0.1;BRANCH=z9hG4bK12.abc', 'v'), 16)).toBe(12);
  });

  it('looks only at the first value of the first Via', () => {
    expect(datagramOwner(response('SIP/2.0/UDP a;branch=z9hG4bKxyz, SIP/2.0/UDP b;branch=z9hG4bK1.abc'), 2)).toBe(NO_OWNER);
    expect(datagramOwner(response('SIP/2.0/UDP a;branch=z9hG4bK1.abc, SIP/2.0/UDP b;branch=z9hG4bK0.abc'), 2)).toBe(1);
  });

  it('has no owner for an untagged, foreign or out-of-range branch', () => {
    expect(datagramOwner(response('SIP/2.0/UDP a;branch=z9hG4bKabcdef0123'), 2)).toBe(NO_OWNER);
    expect(datagramOwner(response('SIP/2.0/UDP a;branch=z9hG4bK5.abc'), 2)).toBe(NO_OWNER);
    expect(datagramOwner(response('SIP/2.0/UDP a;branch=1.abc'), 2)).toBe(NO_OWNER);
    expect(datagramOwner(response('SIP/2.0/UDP a;branch=z9hG4bK1234.abc'), 2)).toBe(NO_OWNER);
    expect(datagramOwner(response('SIP/2.0/UDP a;rport'), 2)).toBe(NO_OWNER);
  });

  it('matches the branches newBranch() makes once a thread tag is set', () => {
    setBranchTag(threadBranchTag(3));
    const branch = newBranch();
    expect(branch).toMatch(/^z9hG4bK3\.[0-9a-f]{32}$/);
    expect(datagramOwner(response(`SIP/2.0/UDP 127.0.0.1:5060;branch=${branch};rport=5060`), 4)).toBe(3);
    setBranchTag('');
    expect(newBranch()).toMatch(/^z9hG4bK[0-9a-f]{32}$/);
  });
});

describe('datagramOwner with flows on the main thread (TLS/WebSocket listeners)', () => {
  /** A request from the farm for a browser: Route carries the flow token's `;ob`. */
  const forFlow = (callId: string, route: string, ruri = 'sip:k3@x.invalid;transport=ws') =>
    bytes([`INVITE ${ruri} SIP/2.0`, 'Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1.x', `Call-ID: ${callId}`, `Route: ${route}`, 'CSeq: 1 INVITE', '', '']);

  it('gives a request whose Route names a flow to thread 0, wherever its Call-ID hashes', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'].filter((id) => ownerOfCallId(id, 3) !== 0);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      expect(datagramOwner(forFlow(id, '<sip:tok.mac@127.0.0.1:5060;lr;ob>'), 3, true)).toBe(0);
      // the same request without flows configured stays with its Call-ID's thread
      expect(datagramOwner(forFlow(id, '<sip:tok.mac@127.0.0.1:5060;lr;ob>'), 3, false)).toBe(ownerOfCallId(id, 3));
      // a Route without ;ob is no flow
      expect(datagramOwner(forFlow(id, '<sip:127.0.0.1:5060;lr>'), 3, true)).toBe(ownerOfCallId(id, 3));
      // contact_alias: an ;alias= Request-URI is a connection too
      expect(datagramOwner(forFlow(id, '<sip:127.0.0.1:5060;lr>', 'sip:k3@x.invalid;transport=ws;alias=1.2.3.4~5~5'), 3, true)).toBe(0);
    }
  });

  it('leaves responses to their branch tag', () => {
    expect(datagramOwner(response('SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2.abc'), 3, true)).toBe(2);
  });
});
