/**
 * `--workers 2` through the built CLI on loopback, with two backends, on this Node and on
 * SIPDISPATCH_TEST_NODE's. Both threads read the one UDP socket, and the kernel gives each datagram
 * to either, so calls whose Call-ID belongs to the other thread must be handed over: from one UAC
 * socket, INVITE/180/200/ACK/BYE complete; an INVITE retransmitted from 7 other sockets reaches
 * the backend once, the owner's transaction re-sending the 180 each time; a CANCEL from another
 * socket gets 200 and the INVITE 487; /metrics counts every relayed request and the handoffs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datagramOwner } from '../../../src/threads/thread-router.js';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import { canShareUdpSockets } from '../../../src/transport/socket-fd.js';
import { testNodes } from '../../support/test-nodes.js';
import { header, inviteFrom, responseTo, SipPeer, type Received } from '../../support/sip-peer.js';
import { startSipdispatch, waitFor, type SipdispatchProcess } from '../../support/sipdispatch-process.js';

const CALLS = 40;
/** UAC sockets: all 8 landing on the same thread's socket has a chance of 1 in 128. */
const SOCKETS = 8;
const CANCELS_PER_THREAD = 4;

/** A backend answering INVITE 180 + 200 (a `hold-` call waits for release() or CANCEL), BYE 200, CANCEL 200 + 487. */
class Backend {
  private readonly held = new Map<string, { req: SipRequest; from: Received['from'] }>();

  constructor(
    readonly peer: SipPeer,
    readonly name: string,
  ) {
    peer.onRequest((req, from) => this.answer(req, from));
  }

  release(callId: string): void {
    const h = this.held.get(callId);
    if (h) void this.peer.reply(h.from, this.ok(h.req));
  }

  invites(callId: string): number {
    return this.peer.count((m) => m.kind === 'request' && m.method === 'INVITE' && m.callId === callId);
  }

  private ok(req: SipRequest): string {
    return responseTo(req, 200, 'OK', { toTag: this.name, contact: `<sip:${this.name}@127.0.0.1:${this.peer.port}>` });
  }

  private answer(req: SipRequest, from: Received['from']): void {
    if (req.method === 'INVITE') {
      void this.peer.reply(from, responseTo(req, 180, 'Ringing', { toTag: this.name }));
      if (req.callId.startsWith('hold-')) this.held.set(req.callId, { req, from });
      else void this.peer.reply(from, this.ok(req));
    } else if (req.method === 'BYE') {
      void this.peer.reply(from, responseTo(req, 200, 'OK'));
    } else if (req.method === 'CANCEL') {
      void this.peer.reply(from, responseTo(req, 200, 'OK'));
      const h = this.held.get(req.callId);
      if (h) void this.peer.reply(h.from, responseTo(h.req, 487, 'Request Terminated', { toTag: this.name }));
    }
  }
}

const invite = (uac: SipPeer, callId: string, user?: string): string => inviteFrom(uac.port, callId, user);

/** ACK or BYE inside the dialog the 200 set up: to its Contact, through its Record-Route. */
function inDialog(uac: SipPeer, method: 'ACK' | 'BYE', ok: SipResponse, seq: number): string {
  const contact = header(ok, 'contact')!.replace(/^<|>$/g, '');
  return [
    `${method} ${contact} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${uac.port};branch=z9hG4bK-${method.toLowerCase()}-${ok.callId};rport`,
    `Route: ${header(ok, 'record-route')}`,
    'Max-Forwards: 70',
    `From: ${header(ok, 'from')}`,
    `To: ${header(ok, 'to')}`,
    `Call-ID: ${ok.callId}`,
    `CSeq: ${seq} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

function cancel(uac: SipPeer, callId: string): string {
  return invite(uac, callId).replace('INVITE sip:', 'CANCEL sip:').replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL').replace(/Contact: [^\r]*\r\n/, '');
}

/** ACK for a non-2xx final: same branch as the INVITE, the To of the response. */
function ackFailure(uac: SipPeer, callId: string, res: SipResponse): string {
  return cancel(uac, callId).replace('CANCEL sip:', 'ACK sip:').replace('CSeq: 1 CANCEL', 'CSeq: 1 ACK').replace(/To: [^\r]*/, `To: ${header(res, 'to')}`);
}

function responseFor(uac: SipPeer, callId: string, status: number, method = 'INVITE'): Promise<SipResponse> {
  return uac
    .waitFor((r) => r.msg.kind === 'response' && r.msg.callId === callId && r.msg.status === status && r.msg.cseq.method === method)
    .then((r) => r.msg as SipResponse);
}

/** The sum of every series of `name` whose labels include `labels`. */
function sumSeries(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** `count` Call-IDs with `prefix` that thread `thread` of 2 owns. */
function callIdsOwnedBy(uac: SipPeer, prefix: string, thread: number, count: number): string[] {
  const out: string[] = [];
  for (let n = 0; out.length < count; n++) {
    const id = `${prefix}-${n}`;
    if (datagramOwner(Buffer.from(invite(uac, id), 'latin1'), 2) === thread) out.push(id);
  }
  return out;
}

/** INVITE → 200 → ACK → BYE → 200; returns the 200 of the INVITE. */
async function call(uac: SipPeer, proxy: SipdispatchProcess, callId: string, release?: () => void, user?: string): Promise<SipResponse> {
  const ok = responseFor(uac, callId, 200);
  if (!release) await uac.send(invite(uac, callId, user), proxy.sipPort);
  else release();
  const res = await ok;
  await uac.send(inDialog(uac, 'ACK', res, 1), proxy.sipPort);
  const bye = responseFor(uac, callId, 200, 'BYE');
  await uac.send(inDialog(uac, 'BYE', res, 2), proxy.sipPort);
  await bye;
  return res;
}

describe.skipIf(!canShareUdpSockets()).each(testNodes())('--workers 2 on Node $version', (node) => {
  let proxy: SipdispatchProcess;
  let uac: SipPeer;
  let others: SipPeer[];
  let backends: Backend[];
  /** Set 2's first choice (priority 10), which never answers: calls to `failover@` time out on it and go to b1. */
  let silent: SipPeer;
  const uri = (peer: SipPeer) => `sip:127.0.0.1:${peer.port}`;
  const listOf = (set1: Backend[]) => [...set1.map((b) => `1 ${uri(b.peer)}\n`), `2 ${uri(silent)} 0 10\n`, `2 ${uri(backends[0]!.peer)} 0 5\n`].join('');

  beforeAll(async () => {
    uac = await SipPeer.udp();
    others = await Promise.all(Array.from({ length: SOCKETS - 1 }, () => SipPeer.udp()));
    backends = [new Backend(await SipPeer.udp(), 'b1'), new Backend(await SipPeer.udp(), 'b2')];
    silent = await SipPeer.udp();
    const config = [
      'ds_ping_interval: 0',
      'drain_timeout: 2000',
      'reload_delta: 0',
      'fr_timer: 300',
      '# the first failure reaches the threshold: the worker-to-main report path is what is tested',
      'traffic_failure_threshold: 1',
      'routes:',
      "  - { match: { ruri_user: '^failover$' }, set: 2, algorithm: 8 }",
      '  - { set: 1, algorithm: 4 }',
      '',
    ].join('\n');
    proxy = await startSipdispatch({ list: listOf(backends), node: node.path, args: ['--workers', '2'], config });
  });

  afterAll(async () => {
    await proxy?.stop();
    for (const p of [uac, silent, ...(others ?? []), ...(backends ?? []).map((b) => b.peer)]) await p?.close();
  });

  /** Which backend answered each call (the To tag of its 200). */
  const answeredBy = (oks: SipResponse[]) => oks.map((ok) => /tag=(b\d)/.exec(header(ok, 'to')!)![1]);
  const stateOf = async (set: number, target: string): Promise<string | undefined> => {
    const r = (await proxy.rpc('dispatcher.list')) as { result: { RECORDS: Array<{ SET: { ID: number; TARGETS: Array<{ DEST: { URI: string; FLAGS: string } }> } }> } };
    return r.result.RECORDS.find((x) => x.SET.ID === set)?.SET.TARGETS.find((t) => t.DEST.URI === target)?.DEST.FLAGS;
  };

  it('starts a second relay thread', () => {
    expect(proxy.output()).toContain('"threads":2,"msg":"relay worker threads started"');
    expect(proxy.output()).toContain('"worker":1');
  });

  it(`completes ${CALLS} calls from one UAC socket, each INVITE reaching a backend once`, async () => {
    const ids = Array.from({ length: CALLS }, (_, i) => `call-${i}`);
    const owners = new Set(ids.map((id) => datagramOwner(Buffer.from(invite(uac, id), 'latin1'), 2)));
    expect(owners).toEqual(new Set([0, 1]));
    const oks = await Promise.all(ids.map((id) => call(uac, proxy, id)));
    const byBackend = new Map(backends.map((b) => [b.name, b]));
    await Promise.all(
      oks.map((ok) => {
        const b = byBackend.get(/tag=(b\d)/.exec(header(ok, 'to')!)![1]!)!;
        return b.peer.waitFor((r) => r.msg.kind === 'request' && r.msg.method === 'ACK' && r.msg.callId === ok.callId);
      }),
    );
    for (const id of ids) expect(backends.reduce((n, b) => n + b.invites(id), 0)).toBe(1);
    // round robin over both backends, whichever thread handled the call
    for (const b of backends) expect(oks.some((ok) => header(ok, 'to')!.includes(`tag=${b.name}`))).toBe(true);
  });

  it("sends requests to the farm from each thread's own port, named in the Via, so the answers go straight back to that thread", () => {
    const invites = backends.flatMap((b) => b.peer.received.filter((r) => r.msg.kind === 'request' && r.msg.method === 'INVITE' && r.msg.callId.startsWith('call-')));
    expect(invites).toHaveLength(CALLS);
    const ports = new Set<number>();
    for (const r of invites) {
      const via = (r.msg as SipRequest).via[0]!;
      expect(via.port).toBe(r.from.port);
      expect(r.from.port).not.toBe(proxy.sipPort);
      ports.add(r.from.port);
    }
    // one port per thread: both threads owned some of the calls
    expect(ports.size).toBe(2);
  });

  it.each([0, 1])('absorbs a retransmitted INVITE in the transaction of its owner (thread %i)', async (thread) => {
    const [id] = callIdsOwnedBy(uac, 'hold-retransmit', thread, 1) as [string];
    const bytes = invite(uac, id);
    const ringing = (r: Received) => r.msg.kind === 'response' && r.msg.callId === id && r.msg.status === 180;
    await uac.send(bytes, proxy.sipPort);
    await uac.waitFor(ringing);
    for (const other of others) await other.send(bytes, proxy.sipPort);
    // RFC 3261 §17.2.1: the server transaction answers each retransmission with the last provisional
    await uac.waitFor((r) => ringing(r) && uac.received.filter(ringing).length === SOCKETS);
    const backend = backends.find((b) => b.invites(id) > 0)!;
    await call(uac, proxy, id, () => backend.release(id));
    expect(backends.reduce((n, b) => n + b.invites(id), 0)).toBe(1);
  });

  it.each([0, 1])('cancels ringing INVITEs owned by thread %i from other sockets: 200 for the CANCEL, 487 for the INVITE', async (thread) => {
    const ids = callIdsOwnedBy(uac, `hold-cancel-${thread}`, thread, CANCELS_PER_THREAD);
    await Promise.all(
      ids.map(async (id, i) => {
        const canceller = others[i % others.length]!;
        await uac.send(invite(uac, id), proxy.sipPort);
        await responseFor(uac, id, 180);
        const cancelled = responseFor(canceller, id, 200, 'CANCEL');
        const terminated = responseFor(uac, id, 487);
        await canceller.send(cancel(uac, id), proxy.sipPort);
        await cancelled;
        const res = await terminated;
        await uac.send(ackFailure(uac, id, res), proxy.sipPort);
        const backend = backends.find((b) => b.invites(id) > 0)!;
        await backend.peer.waitFor((r) => r.msg.kind === 'request' && r.msg.method === 'CANCEL' && r.msg.callId === id);
      }),
    );
  });

  it('counts every relayed request and the handoffs in /metrics', async () => {
    const invites = CALLS + 2 + 2 * CANCELS_PER_THREAD;
    const byes = CALLS + 2;
    let text = '';
    // worker events reach the main thread in batches (at most 100 ms apart)
    await waitFor(
      async () => {
        text = await proxy.metrics();
        return sumSeries(text, 'sipdispatch_relayed_requests_total', { method: 'INVITE' }) === invites && sumSeries(text, 'sipdispatch_relayed_requests_total', { method: 'BYE' }) === byes;
      },
      undefined,
      5000,
      () => text.split('\n').filter((l) => l.startsWith('sipdispatch_relayed_requests_total') && !l.endsWith(' 0')).join('\n'),
    );
    // the retransmissions were received (and counted) too
    expect(sumSeries(text, 'sipdispatch_requests_total', { method: 'INVITE' })).toBe(invites + 2 * (SOCKETS - 1));
    expect(sumSeries(text, 'sipdispatch_udp_handoffs_total')).toBeGreaterThan(0);
    expect(text).toMatch(/sipdispatch_udp_handoffs_total\{thread="1"\}/);
  });

  it.each([0, 1])("forwards the backend's retransmitted 200 to the caller (thread %i), whose first one may have been lost", async (thread) => {
    const [id] = callIdsOwnedBy(uac, 'hold-ok-again', thread, 1) as [string];
    const oks = (r: Received) => r.msg.kind === 'response' && r.msg.callId === id && r.msg.status === 200 && r.msg.cseq.method === 'INVITE';
    await uac.send(invite(uac, id), proxy.sipPort);
    await responseFor(uac, id, 180);
    const backend = backends.find((b) => b.invites(id) > 0)!;
    backend.release(id);
    await uac.waitFor(oks);
    // RFC 6026 §8.4: the client transaction in Accepted passes each 2xx up, and the proxy forwards it
    backend.release(id);
    await uac.waitFor((r) => oks(r) && uac.received.filter(oks).length === 2);
    await call(uac, proxy, id, () => backend.release(id));
  });

  it('applies set_state and reloads made on the main thread to the worker thread', async () => {
    const [b1] = backends as [Backend];
    expect(await proxy.rpc('dispatcher.set_state', ['ip', 1, uri(b1.peer)])).toMatchObject({ result: expect.anything() });
    const down = callIdsOwnedBy(uac, 'state', 1, 4);
    expect(answeredBy(await Promise.all(down.map((id) => call(uac, proxy, id))))).toEqual(['b2', 'b2', 'b2', 'b2']);
    await proxy.rpc('dispatcher.set_state', ['ap', 1, uri(b1.peer)]);
    writeFileSync(join(proxy.dir, 'dispatcher.list'), listOf([b1]));
    expect(await proxy.rpc('dispatcher.reload')).toMatchObject({ result: expect.anything() });
    const reloaded = callIdsOwnedBy(uac, 'reload', 1, 4);
    expect(answeredBy(await Promise.all(reloaded.map((id) => call(uac, proxy, id))))).toEqual(['b1', 'b1', 'b1', 'b1']);
  });

  it('reports a destination failing on the worker thread to the main thread, whose state comes back to the worker', async () => {
    const [first, second] = callIdsOwnedBy(uac, 'failover', 1, 2) as [string, string];
    expect(answeredBy([await call(uac, proxy, first, undefined, 'failover')])).toEqual(['b1']);
    expect(silent.count((m) => m.kind === 'request' && m.method === 'INVITE')).toBe(1);
    expect(await stateOf(2, uri(silent))).toBe('IP');
    expect(answeredBy([await call(uac, proxy, second, undefined, 'failover')])).toEqual(['b1']);
    expect(silent.count((m) => m.kind === 'request' && m.method === 'INVITE')).toBe(1);
  });

  it('drains both threads on SIGTERM and exits 0', async () => {
    expect(await proxy.stop()).toBe(0);
    expect(proxy.output()).toContain('"msg":"stopped"');
    expect(proxy.output()).not.toContain('"level":"error"');
  });
});
