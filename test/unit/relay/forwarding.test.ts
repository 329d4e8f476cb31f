/**
 * The relay's forwarding rules, driven through the harness: failover order, best-response choice,
 * CANCEL races, Timer C, name resolution failures and the failover log line. Time is the
 * ManualScheduler's; nothing sleeps and nothing opens a socket.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { attachEventLogging } from '../../../src/stack/logging.js';
import { FR_INV_TIMER, FR_TIMER, parse } from '../transaction/harness.js';
import { CALLER, candidate, RelayHarness, recordingLogger, type LogLine } from './relay-harness.js';

const CALLER_HOST = CALLER.address;

const A = candidate('a', 1);
const B = candidate('b', 2);
const C = candidate('c', 3);

function harness(route: ConstructorParameters<typeof RelayHarness>[0] = {}): RelayHarness {
  const h = new RelayHarness(route);
  h.dispatcher.candidates = [A, B, C];
  return h;
}

/** What each destination does with the INVITE it gets: a final code, ring then a code, or nothing. */
type Behaviour = number | 'silent' | 'ring-silent';

/** Plays one call: each destination tried answers as `behaviours` says, in order. */
function play(h: RelayHarness, behaviours: Behaviour[]): void {
  h.invite();
  for (const b of behaviours) {
    const host = h.tried().at(-1)!;
    if (b === 'silent') h.advance(FR_TIMER);
    else if (b === 'ring-silent') {
      h.answer(host, 180);
      h.advance(FR_INV_TIMER);
    } else h.answer(host, b);
  }
}

describe('failover order and best response (§16.7 step 6)', () => {
  it.each([
    { title: '200 from the first: no failover', route: {}, behaviours: [200], tried: ['a'], upstream: [200], failures: [] },
    { title: '503 then 200', route: {}, behaviours: [503, 200], tried: ['a', 'b'], upstream: [200], failures: ['a response-503'] },
    { title: '503 with Retry-After is not marked', route: {}, behaviours: [503, 200], tried: ['a', 'b'], upstream: [200], failures: [], retryAfter: true },
    { title: 'a timeout then 200', route: {}, behaviours: ['silent', 200], tried: ['a', 'b'], upstream: [200], failures: ['a timeout'] },
    { title: 'every destination fails: the lowest class wins, the first of it', route: { failoverOn: [404, 486, 500, 503] }, behaviours: [503, 486, 404], tried: ['a', 'b', 'c'], upstream: [486], failures: ['a response-503'] },
    { title: 'a code not in failover.on ends it at once', route: {}, behaviours: [486], tried: ['a'], upstream: [486], failures: [] },
    { title: 'a 6xx is never failed over and wins', route: { failoverOn: [503, 603] }, behaviours: [603], tried: ['a'], upstream: [603], failures: [] },
    { title: 'max_tries caps the destinations tried', route: { maxTries: 2 }, behaviours: [500, 502], tried: ['a', 'b'], upstream: [500], failures: [] },
    { title: 'only timeouts: 408', route: {}, behaviours: ['silent', 'silent', 'silent'], tried: ['a', 'b', 'c'], upstream: [408], failures: ['a timeout', 'b timeout', 'c timeout'] },
  ])('$title', ({ route, behaviours, tried, upstream, failures, retryAfter }) => {
    const h = harness(route);
    if (retryAfter) {
      h.invite();
      h.answer('198.51.100.1', 503, 'INVITE', ['Retry-After: 30']);
      h.answer('198.51.100.2', 200);
    } else play(h, behaviours as Behaviour[]);
    const names = { '198.51.100.1': 'a', '198.51.100.2': 'b', '198.51.100.3': 'c' } as Record<string, string>;
    expect(h.tried().map((host) => names[host])).toEqual(tried);
    expect(h.upstream()).toEqual(upstream);
    expect(h.dispatcher.failures).toEqual(failures);
  });

  it('counts a moved call and confirms it on 2xx (call load)', () => {
    const h = harness();
    play(h, [503, 200]);
    expect(h.dispatcher.calls).toEqual(['moved call-1@192.0.2.10 b', 'confirmed call-1@192.0.2.10']);
  });
});

describe('CANCEL races (§9.1, §16.10)', () => {
  it('CANCEL before any provisional waits for one, then cancels downstream: 487 upstream', () => {
    const h = harness();
    const invite = h.invite();
    h.cancel(invite);
    expect(h.downstream('CANCEL')).toHaveLength(0);
    h.answer('198.51.100.1', 180);
    expect(h.downstream('CANCEL').map((x) => x.target.host)).toEqual(['198.51.100.1']);
    h.answer('198.51.100.1', 487);
    // the 180 that came after the CANCEL is not relayed: the call is being torn down
    expect(h.upstream()).toEqual([487]);
    expect(h.upstream('CANCEL')).toEqual([200]);
    expect(h.tried()).toEqual(['198.51.100.1']);
  });

  it('CANCEL while ringing goes downstream at once, and no other destination is tried', () => {
    const h = harness();
    const invite = h.invite();
    h.answer('198.51.100.1', 180);
    h.cancel(invite);
    expect(h.downstream('CANCEL').map((x) => x.target.host)).toEqual(['198.51.100.1']);
    h.answer('198.51.100.1', 487);
    expect(h.upstream()).toEqual([180, 487]);
    expect(h.tried()).toEqual(['198.51.100.1']);
  });

  it('a 200 that crosses the CANCEL wins: the call is answered', () => {
    const h = harness();
    const invite = h.invite();
    h.answer('198.51.100.1', 180);
    h.cancel(invite);
    h.answer('198.51.100.1', 200);
    expect(h.upstream()).toEqual([180, 200]);
    expect(h.dispatcher.calls).toEqual(['confirmed call-1@192.0.2.10']);
  });

  it('CANCEL between a failover-able final and the next try stops the failover: the best response so far goes upstream', () => {
    const h = harness();
    h.resolver.held.add('b.example');
    h.dispatcher.candidates = [A, candidate('b', 2, 'b.example')];
    const invite = h.invite();
    h.answer('198.51.100.1', 503);
    h.cancel(invite);
    h.resolver.pending.get('b.example')!.resolve('198.51.100.2');
    return h.settle().then(() => {
      expect(h.tried()).toEqual(['198.51.100.1']);
      expect(h.upstream()).toEqual([503]);
    });
  });

  it('CANCEL while the first destination is still being resolved sends nothing downstream: 487', async () => {
    const h = harness();
    h.resolver.held.add('a.example');
    h.dispatcher.candidates = [candidate('a', 1, 'a.example')];
    const invite = h.invite();
    h.cancel(invite);
    h.resolver.pending.get('a.example')!.resolve('198.51.100.1');
    await h.settle();
    expect(h.downstream()).toEqual([]);
    expect(h.upstream()).toEqual([487]);
  });
});

describe('Timer C (fr_inv_timer)', () => {
  it('a destination that rings too long is cancelled and the caller gets 408; nothing else is tried', () => {
    const h = harness();
    play(h, ['ring-silent']);
    expect(h.downstream('CANCEL').map((x) => x.target.host)).toEqual(['198.51.100.1']);
    expect(h.upstream()).toEqual([180, 408]);
    expect(h.tried()).toEqual(['198.51.100.1']);
    expect(h.dispatcher.failures).toEqual([]);
  });

  it('a late 200 after Timer C is still relayed upstream (RFC 6026)', () => {
    const h = harness();
    play(h, ['ring-silent']);
    h.answer('198.51.100.1', 200);
    expect(h.stateless.map((s) => s.bytes.toString('latin1').split('\r\n')[0])).toEqual(['SIP/2.0 200 OK']);
  });
});

describe('name resolution failures', () => {
  it('a destination whose name does not resolve is marked and skipped', async () => {
    const h = harness();
    h.resolver.failing.add('a.invalid');
    h.dispatcher.candidates = [candidate('a', 1, 'a.invalid'), B];
    h.invite();
    await h.settle();
    expect(h.dispatcher.failures).toEqual(['a transport-error']);
    expect(h.tried()).toEqual(['198.51.100.2']);
    h.answer('198.51.100.2', 200);
    expect(h.upstream()).toEqual([200]);
  });

  it('when no name resolves the caller gets 503', async () => {
    const h = harness();
    h.resolver.failing.add('a.invalid');
    h.resolver.failing.add('b.invalid');
    h.dispatcher.candidates = [candidate('a', 1, 'a.invalid'), candidate('b', 2, 'b.invalid')];
    h.invite();
    await h.settle();
    expect(h.downstream()).toEqual([]);
    expect(h.upstream()).toEqual([503]);
  });
});

describe('the failover log line', () => {
  let detach: (() => void) | undefined;
  afterEach(() => detach?.());

  it('is written once per failover, with every field', () => {
    const h = harness();
    const lines: LogLine[] = [];
    detach = attachEventLogging(recordingLogger(lines));
    play(h, [503, 'silent', 200]);
    const all = [...h.log, ...lines].filter((l) => l.msg.includes('failover'));
    expect(all.map((l) => l.fields)).toEqual([
      { callId: 'call-1@192.0.2.10', set: '1', uri: A.uri, reason: 'response-5xx', next: B.uri },
      { callId: 'call-1@192.0.2.10', set: '1', uri: B.uri, reason: 'timeout', next: C.uri },
    ]);
  });
});

describe('the request pending toward the farm is kept as the bytes sent, not parsed', () => {
  /** The request as the farm got it, less what differs per branch (our Via's branch). */
  const unbranched = (bytes: Buffer): string => bytes.toString('latin1').replace(/branch=z9hG4bK[^;\r\n]*/, 'branch=X');

  it('each failover branch carries the same request, byte for byte, apart from its Via branch (Record-Route once)', () => {
    const h = harness();
    play(h, [503, 'silent', 200]);
    const sent = h.transport.sent.filter((s) => s.target.host !== CALLER_HOST && s.bytes.toString('latin1').startsWith('INVITE '));
    const firsts = [...new Map(sent.map((s) => [s.target.host, s.bytes])).values()];
    expect(firsts).toHaveLength(3);
    const text = unbranched(firsts[0]!);
    expect(firsts.map(unbranched)).toEqual([text, text, text]);
    expect(text.match(/^Record-Route:/gim)).toHaveLength(1);
    expect(text.match(/^Via:/gim)).toHaveLength(2);
    expect(text).toContain('Max-Forwards: 69');
  });

  it('a local 408 after every destination timed out carries the caller\'s Via, From, To and Call-ID', () => {
    const h = harness();
    const invite = h.invite();
    h.advance(FR_TIMER);
    h.advance(FR_TIMER);
    h.advance(FR_TIMER);
    const final = h.transport.sent.map((s) => parse(s.bytes)).find((m) => m.kind === 'response' && m.status === 408);
    expect(final).toMatchObject({ callId: invite.callId, from: { raw: invite.from.raw }, cseq: { seq: 1, method: 'INVITE' } });
    expect(final!.via.map((v) => v.raw)).toEqual(invite.via.map((v) => v.raw));
    expect(h.dispatcher.failures).toEqual(['a timeout', 'b timeout', 'c timeout']);
  });
});
