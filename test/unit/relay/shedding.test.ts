import { afterEach, describe, expect, it } from 'vitest';
import { subscribe, type EventPayloads } from '../../../src/shared/events.js';
import { STATELESS_TAG } from '../../../src/sip/stateless-ack.js';
import { relayHarness, request, responseTo, TRUSTED, type Sent } from './traffic-relay-harness.js';

const unsubscribers: (() => void)[] = [];
afterEach(() => {
  while (unsubscribers.length > 0) unsubscribers.pop()?.();
});

function listen<N extends 'request.shed'>(name: N): EventPayloads[N][] {
  const got: EventPayloads[N][] = [];
  unsubscribers.push(subscribe(name, (p) => got.push(p)));
  return got;
}

const header = (s: Sent, key: string): string | undefined => s.msg.headers.find((h) => h.key === key)?.value;
const lines = (sent: Sent[]): string[] => sent.map((s) => `${s.line} -> ${s.target.port}`);

describe('load shedding', () => {
  it('switches with the gauge: an INVITE is forwarded, then refused 503 + Retry-After at once, then forwarded again', async () => {
    const h = await relayHarness([5071]);
    const shed = listen('request.shed');
    h.receive(request('INVITE', 'c1'));
    expect(lines(h.take())).toEqual(['INVITE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071']);

    h.pressure.pressured = h.pressure.shedding = true;
    h.receive(request('INVITE', 'c2'));
    const out = h.take();
    expect(lines(out)).toEqual(['SIP/2.0 503 Service Unavailable -> 5090']);
    expect(header(out[0]!, 'retry-after')).toBe('5');
    // the thread's stateless tag: the caller's ACK for it is absorbed from its bytes (sl_filter_ACK)
    expect(header(out[0]!, 'to')).toBe(`<sip:bob@127.0.0.1>;tag=${STATELESS_TAG}`);
    expect(h.transactions.activeCount).toBe(2); // c1's server and client transactions only: the 503 is stateless
    expect(shed).toEqual([{ method: 'INVITE', transport: 'udp', reason: 'pressure' }]);

    h.pressure.pressured = h.pressure.shedding = false;
    h.receive(request('INVITE', 'c3'));
    expect(lines(h.take())).toEqual(['INVITE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071']);
  });

  it.each(['REGISTER', 'SUBSCRIBE', 'MESSAGE', 'OPTIONS'])('sheds a new %s toward the farm', async (method) => {
    const h = await relayHarness([5071], { overload_retry_after: 0 });
    h.pressure.shedding = true;
    h.receive(request(method, `c-${method}`));
    const out = h.take();
    expect(lines(out)).toEqual(['SIP/2.0 503 Service Unavailable -> 5090']);
    expect(header(out[0]!, 'retry-after')).toBeUndefined();
  });

  it('sheds only the configured methods', async () => {
    const h = await relayHarness([5071], { overload_shed_methods: ['invite'] });
    h.pressure.shedding = true;
    h.receive(request('MESSAGE', 'm1'));
    h.receive(request('INVITE', 'i1'));
    expect(lines(h.take())).toEqual(['MESSAGE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071', 'SIP/2.0 503 Service Unavailable -> 5090']);
  });

  it('never sheds retransmissions, responses, CANCEL, ACK or in-dialog requests (BYE above all)', async () => {
    const h = await relayHarness([5071]);
    const shed = listen('request.shed');
    h.receive(request('INVITE', 'c1'));
    const [invite] = h.take();
    h.pressure.pressured = h.pressure.shedding = true;

    // the caller retransmits: absorbed by the transaction, not refused
    h.receive(request('INVITE', 'c1'));
    expect(h.take().filter((s) => s.line.includes('503'))).toEqual([]);
    // responses from the farm are relayed
    h.receive(responseTo(invite!, 180, 'Ringing'), { address: '127.0.0.1', port: 5071 });
    expect(lines(h.take())).toEqual(['SIP/2.0 180 Ringing -> 5090']);
    // CANCEL is answered and forwarded
    h.receive(request('CANCEL', 'c1', { branch: 'z9hG4bK-c1-INVITE' }));
    expect(lines(h.take())).toEqual(['SIP/2.0 200 OK -> 5090', 'CANCEL sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071']);
    // in-dialog requests of a call answered before: BYE, re-INVITE, ACK for the 2xx
    const dialog = { toTag: 'b1', ruri: 'sip:bob@127.0.0.1:5071' };
    h.receive(request('BYE', 'd1', { ...dialog, cseq: 2 }));
    h.receive(request('INVITE', 'd1', { ...dialog, cseq: 3, branch: 'z9hG4bK-d1-reinvite' }));
    h.receive(request('ACK', 'd1', { ...dialog, cseq: 3, branch: 'z9hG4bK-d1-ack' }));
    expect(lines(h.take())).toEqual([
      'BYE sip:bob@127.0.0.1:5071 SIP/2.0 -> 5071',
      'INVITE sip:bob@127.0.0.1:5071 SIP/2.0 -> 5071',
      'ACK sip:bob@127.0.0.1:5071 SIP/2.0 -> 5071',
    ]);
    expect(shed).toEqual([]);
  });

  it('does not shed OPTIONS keepalives addressed to sipdispatch, nor requests from the farm', async () => {
    const h = await relayHarness([5071]);
    h.pressure.shedding = true;
    h.receive(request('OPTIONS', 'k1', { ruri: 'sip:127.0.0.1:5060' }));
    expect(lines(h.take())).toEqual(['SIP/2.0 200 OK -> 5090']);
    h.receive(request('INVITE', 'f1', { ruri: 'sip:carrier@127.0.0.1:5099' }), { address: '127.0.0.1', port: 5071 });
    expect(lines(h.take())).toEqual(['INVITE sip:carrier@127.0.0.1:5099 SIP/2.0 -> 5099']);
  });

  it('sheds the share the gauge asks for, evenly: a half refuses every second new request', async () => {
    const h = await relayHarness([5071]);
    h.pressure.shedding = true;
    h.pressure.shedShare = 0.5;
    for (let i = 0; i < 6; i++) h.receive(request('INVITE', `s${i}`));
    expect(h.take().map((s) => s.line.slice(0, 11))).toEqual(['INVITE sip:', 'SIP/2.0 503', 'INVITE sip:', 'SIP/2.0 503', 'INVITE sip:', 'SIP/2.0 503']);
    h.pressure.shedShare = 0.25;
    for (let i = 0; i < 8; i++) h.receive(request('INVITE', `q${i}`));
    expect(h.take().filter((s) => s.line.startsWith('SIP/2.0 503'))).toHaveLength(2);
  });

  it('sheds trusted sources (a carrier) last: none up to half the share, every second at three quarters, all at the whole', async () => {
    const h = await relayHarness([5071]);
    h.pressure.shedding = true;
    const fromCarrier = (id: string): string => request('INVITE', id).replace('127.0.0.1:5090', '127.0.0.10:5060');
    const refused = (n: number, prefix: string, trusted: boolean): number => {
      for (let i = 0; i < n; i++) {
        if (trusted) h.receive(fromCarrier(`${prefix}${i}`), TRUSTED);
        else h.receive(request('INVITE', `${prefix}${i}`));
      }
      return h.take().filter((s) => s.line.startsWith('SIP/2.0 503')).length;
    };
    h.pressure.shedShare = 0.5;
    expect(refused(8, 'u', false)).toBe(4);
    expect(refused(8, 't', true)).toBe(0);
    h.pressure.shedShare = 0.75;
    expect(refused(8, 'v', true)).toBe(4);
    expect(refused(8, 'w', false)).toBe(6);
    h.pressure.shedShare = 1;
    expect(refused(4, 'x', true)).toBe(4);
  });

  it('refuses a new request that waited too long in the UDP intake, without pressure, and counts it late', async () => {
    const h = await relayHarness([5071]);
    const shed = listen('request.shed');
    h.receive(request('INVITE', 'l1'), undefined, true);
    const out = h.take();
    expect(lines(out)).toEqual(['SIP/2.0 503 Service Unavailable -> 5090']);
    expect(header(out[0]!, 'retry-after')).toBe('5');
    expect(h.transactions.activeCount).toBe(0);
    h.receive(request('REGISTER', 'l2'), undefined, true);
    expect(lines(h.take())).toEqual(['SIP/2.0 503 Service Unavailable -> 5090']);
    expect(shed).toEqual([
      { method: 'INVITE', transport: 'udp', reason: 'late' },
      { method: 'REGISTER', transport: 'udp', reason: 'late' },
    ]);
    h.receive(request('INVITE', 'l3'));
    expect(lines(h.take())).toEqual(['INVITE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071']);
  });

  it('a late request is still never a retransmission, an in-dialog request, a request from the farm or a keepalive to us', async () => {
    const h = await relayHarness([5071]);
    const shed = listen('request.shed');
    h.receive(request('INVITE', 'c1'));
    h.take();
    h.receive(request('INVITE', 'c1'), undefined, true);
    expect(h.take().filter((s) => s.line.includes('503'))).toEqual([]);
    h.receive(request('BYE', 'd1', { toTag: 'b1', ruri: 'sip:bob@127.0.0.1:5071', cseq: 2 }), undefined, true);
    expect(lines(h.take())).toEqual(['BYE sip:bob@127.0.0.1:5071 SIP/2.0 -> 5071']);
    h.receive(request('INVITE', 'f1', { ruri: 'sip:carrier@127.0.0.1:5099' }), { address: '127.0.0.1', port: 5071 }, true);
    expect(lines(h.take())).toEqual(['INVITE sip:carrier@127.0.0.1:5099 SIP/2.0 -> 5099']);
    h.receive(request('OPTIONS', 'k1', { ruri: 'sip:127.0.0.1:5060' }), undefined, true);
    expect(lines(h.take())).toEqual(['SIP/2.0 200 OK -> 5090']);
    expect(shed).toEqual([]);
  });

  it('a late request from a trusted source (a carrier) is shed only by the share, as trusted sources always are', async () => {
    const h = await relayHarness([5071]);
    const fromCarrier = (id: string): string => request('INVITE', id).replace('127.0.0.1:5090', '127.0.0.10:5060');
    h.pressure.shedShare = 0;
    h.receive(fromCarrier('t1'), TRUSTED, true);
    expect(lines(h.take())).toEqual(['INVITE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071']);
    h.pressure.shedding = true;
    h.pressure.shedShare = 1;
    h.receive(fromCarrier('t2'), TRUSTED, true);
    expect(lines(h.take())).toEqual(['SIP/2.0 503 Service Unavailable -> 5060']);
  });

  it('a pressured gauge with shedding off refuses nothing', async () => {
    const h = await relayHarness([5071]);
    h.pressure.pressured = true;
    h.receive(request('INVITE', 'c1'));
    expect(lines(h.take())).toEqual(['INVITE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071']);
  });

  it('max_transactions: with that many requests unanswered a new INVITE gets 503 + Retry-After at once, an in-dialog BYE still passes', async () => {
    const h = await relayHarness([5071], { max_transactions: 2 });
    const shed = listen('request.shed');
    h.receive(request('INVITE', 'c1'));
    h.receive(request('INVITE', 'c2'));
    const [first] = h.take();
    expect(h.transactions.activeCount).toBe(4);
    h.receive(request('INVITE', 'c3'));
    const out = h.take();
    expect(lines(out)).toEqual(['SIP/2.0 503 Service Unavailable -> 5090']);
    expect(header(out[0]!, 'retry-after')).toBe('5');
    expect(shed).toEqual([{ method: 'INVITE', transport: 'udp', reason: 'full' }]);
    h.receive(request('BYE', 'c0', { toTag: 'callee', cseq: 2 }));
    expect(lines(h.take()).some((l) => l.startsWith('SIP/2.0 503'))).toBe(false);

    // c1 is answered: its transactions wait out their timers, but no longer count against the cap
    h.receive(responseTo(first!, 200, 'OK'), { address: '127.0.0.1', port: 5071 });
    h.take();
    expect(h.transactions.activeCount).toBeGreaterThanOrEqual(4);
    h.receive(request('INVITE', 'c4'));
    expect(lines(h.take())).toEqual(['INVITE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071']);
  });

  it('max_transactions is for the process: one of two threads refuses at its half, one of three at a third rounded up', async () => {
    const forwarded = async (threads: number): Promise<number> => {
      const h = await relayHarness([5071], { max_transactions: 4 }, threads);
      for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) h.receive(request('INVITE', id));
      return lines(h.take()).filter((l) => l.startsWith('INVITE ')).length;
    };
    expect(await forwarded(1)).toBe(4);
    expect(await forwarded(2)).toBe(2);
    expect(await forwarded(3)).toBe(2);
  });

  it('max_transactions never refuses a trusted source (a carrier), and pressure shedding still does', async () => {
    const h = await relayHarness([5071], { max_transactions: 1 });
    h.receive(request('INVITE', 'c1'));
    h.receive(request('INVITE', 'c2'));
    expect(lines(h.take())).toEqual(['INVITE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071', 'SIP/2.0 503 Service Unavailable -> 5090']);
    h.receive(request('INVITE', 't1').replace('127.0.0.1:5090', '127.0.0.10:5060'), TRUSTED);
    expect(lines(h.take())).toEqual(['INVITE sip:bob@127.0.0.1:5060 SIP/2.0 -> 5071']);
    h.pressure.pressured = h.pressure.shedding = true;
    h.receive(request('INVITE', 't2').replace('127.0.0.1:5090', '127.0.0.10:5060'), TRUSTED);
    expect(lines(h.take())).toEqual(['SIP/2.0 503 Service Unavailable -> 5060']);
  });

  it('max_transactions counts only branches with no response at all: a ringing call is not counted, a failover to a silent destination is', async () => {
    const h = await relayHarness([5071, 5072], { max_transactions: 1 });
    h.receive(request('INVITE', 'c1'));
    const [first] = h.take();
    h.receive(request('INVITE', 'c2'));
    expect(lines(h.take())).toEqual(['SIP/2.0 503 Service Unavailable -> 5090']);

    // 100 Trying from the farm: c1 is no longer silent, though still without a final answer
    h.receive(responseTo(first!, 100, 'Trying'), { address: '127.0.0.1', port: 5071 });
    h.receive(request('INVITE', 'c3'));
    const [third] = h.take();
    expect(third!.line).toMatch(/^INVITE /);

    // c3's destination answers 503: the failover branch to the other one is silent again, and counted
    h.receive(responseTo(third!, 100, 'Trying'), { address: '127.0.0.1', port: third!.target.port });
    h.receive(request('INVITE', 'c4'));
    const [fourth] = h.take();
    h.receive(responseTo(fourth!, 503, 'Service Unavailable'), { address: '127.0.0.1', port: fourth!.target.port });
    expect(h.take().some((s) => s.line.startsWith('INVITE '))).toBe(true);
    h.receive(request('INVITE', 'c5'));
    expect(lines(h.take())).toEqual(['SIP/2.0 503 Service Unavailable -> 5090']);
  });
});
