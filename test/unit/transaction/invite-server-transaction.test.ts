import { describe, expect, it } from 'vitest';
import type { InviteServerTransaction } from '../../../src/transaction/invite-server-transaction.js';
import { T1, T4, TCP_PEER, UDP_SOURCE, fixture, flushMicrotasks, harness, responseTo, type Harness } from './harness.js';

function newInvite(h: Harness, target = UDP_SOURCE): InviteServerTransaction {
  const d = h.layer.receiveRequest(fixture('invite.sip'), target, h.user);
  if (d.kind !== 'new' || d.tx.kind !== 'invite-server') throw new Error(`unexpected ${d.kind}`);
  return d.tx;
}

describe('InviteServerTransaction', () => {
  it('answers 100 Trying at once, without a To tag, to the response target', async () => {
    const h = harness();
    const tx = newInvite(h);
    await flushMicrotasks();
    expect(h.transport.lines).toEqual(['SIP/2.0 100 Trying']);
    expect(h.transport.last().target).toBe(UDP_SOURCE);
    const trying = h.transport.lastMessage();
    expect(trying.to.tag).toBeUndefined();
    expect(trying.via.map((v) => v.raw)).toEqual(tx.request.via.map((v) => v.raw));
    expect(h.scheduler.pending).toBe(0);
  });

  it('answers 100 Trying to every INVITE of a tick, in arrival order, and again in the next tick', async () => {
    const h = harness();
    const targets = [1, 2, 3].map((n) => ({ ...UDP_SOURCE, port: 5060 + n }));
    const txs = targets.map((t, n) => h.layer.receiveRequest(fixture('invite.sip', `z9hG4bKtick${n}`), t, h.user).tx);
    txs[1]?.respond(responseTo(fixture('invite.sip'), 180, 'Ringing', 'r1'));
    await flushMicrotasks();
    expect(h.transport.sent.map((s) => [s.target.port, s.bytes.toString('latin1', 0, 18)])).toEqual([
      [5062, 'SIP/2.0 180 Ringin'],
      [5061, 'SIP/2.0 100 Trying'],
      [5063, 'SIP/2.0 100 Trying'],
    ]);
    h.layer.receiveRequest(fixture('invite.sip', 'z9hG4bKnexttick'), UDP_SOURCE, h.user);
    await flushMicrotasks();
    expect(h.transport.lines.at(-1)).toBe('SIP/2.0 100 Trying');
    expect(h.transport.sent).toHaveLength(4);
  });

  it('skips the 100 Trying when the user answered in the same tick', async () => {
    const h = harness();
    const tx = newInvite(h);
    tx.respond(responseTo(tx.request, 404, 'Not Found', 'lb1'));
    await flushMicrotasks();
    expect(h.transport.lines).toEqual(['SIP/2.0 404 Not Found']);
  });

  it('skips the 100 Trying when the user sent a provisional in the same tick', async () => {
    const h = harness();
    const tx = newInvite(h);
    tx.respond(responseTo(tx.request, 183, 'Session Progress', 'b1'));
    await flushMicrotasks();
    expect(h.transport.lines).toEqual(['SIP/2.0 183 Session Progress']);
    expect(tx.state).toBe('proceeding');
  });

  it('re-sends the most recent provisional to an INVITE retransmission', async () => {
    const h = harness();
    const tx = newInvite(h);
    await flushMicrotasks();
    expect(h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx });
    tx.respond(responseTo(tx.request, 180, 'Ringing', 'b1'));
    h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user);
    expect(h.transport.lines).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying', 'SIP/2.0 180 Ringing', 'SIP/2.0 180 Ringing']);
    expect(h.transport.sent[3]?.bytes).toBe(h.transport.sent[2]?.bytes);
    expect(tx.state).toBe('proceeding');
  });

  it('retransmits a non-2xx final with Timer G (T1 doubling up to T2) until Timer H, then reports it', async () => {
    const h = harness();
    const tx = newInvite(h);
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 486, 'Busy Here', 'busy8810'));
    expect(tx.state).toBe('completed');
    h.scheduler.advance(64 * T1 - 1);
    expect(h.transport.timesOf('SIP/2.0 486')).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]);
    expect(h.user.timeouts).toEqual([]);
    h.scheduler.advance(1);
    expect(h.user.timeouts).toEqual([tx]);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.activeCount).toBe(0);
  });

  it('re-sends the final to an INVITE retransmission while Completed, and discards later responses', async () => {
    const h = harness();
    const tx = newInvite(h);
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 486, 'Busy Here', 'busy8810'));
    h.scheduler.advance(100);
    h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user);
    expect(h.transport.timesOf('SIP/2.0 486')).toEqual([0, 100]);
    expect(tx.respond(responseTo(tx.request, 200, 'OK', 'late'))).toBe(false);
    expect(h.transport.timesOf('SIP/2.0 200')).toEqual([]);
  });

  it('on the ACK stops Timer G, absorbs ACK retransmissions and ends after Timer I (T4)', async () => {
    const h = harness();
    const tx = newInvite(h);
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 486, 'Busy Here', 'busy8810'));
    h.scheduler.advance(600);
    expect(h.layer.receiveRequest(fixture('ack-non2xx.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: true, tx });
    expect(tx.state).toBe('confirmed');
    expect(h.layer.receiveRequest(fixture('ack-non2xx.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: true, tx });
    h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user);
    h.scheduler.advance(T4 - 1);
    expect(h.transport.timesOf('SIP/2.0 486')).toEqual([0, 500]);
    expect(tx.state).toBe('confirmed');
    h.scheduler.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.user.timeouts).toEqual([]);
  });

  it('after a 2xx absorbs INVITE retransmissions, hands ACKs to the user and ends after Timer L', async () => {
    const h = harness();
    const tx = newInvite(h);
    await flushMicrotasks();
    const ok = responseTo(tx.request, 200, 'OK', 'a6c85cf');
    tx.respond(ok);
    expect(tx.state).toBe('accepted');
    h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user);
    expect(tx.respond(ok)).toBe(true); // a 2xx retransmission from downstream is sent again
    expect(h.transport.lines).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
    expect(h.layer.receiveRequest(fixture('ack-2xx.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: false, tx: undefined });
    expect(h.layer.receiveRequest(fixture('ack-non2xx.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: false, tx });
    h.scheduler.advance(64 * T1);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user).kind).toBe('new');
  });

  it('over TCP: no Timer G, Timer H still runs, Timer I is zero', async () => {
    const h = harness(true);
    const tx = newInvite(h, TCP_PEER);
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 603, 'Decline', 'd'));
    expect(h.scheduler.pending).toBe(1);
    h.scheduler.advance(10_000);
    expect(h.transport.timesOf('SIP/2.0 603')).toEqual([0]);
    h.layer.receiveRequest(fixture('ack-non2xx.sip'), TCP_PEER, h.user);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
  });

  it('reports a send failure and stays in its state (RFC 6026 §8.8)', async () => {
    const h = harness();
    const tx = newInvite(h);
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 486, 'Busy Here', 'busy8810'));
    h.transport.last().onError(new Error('EHOSTUNREACH'));
    expect(h.user.errors.map((e) => e.message)).toEqual(['EHOSTUNREACH']);
    expect(tx.state).toBe('completed');
  });

  it('gives generated responses the To tag already sent, or one of its own', async () => {
    const h = harness();
    const tx = newInvite(h);
    const own = tx.toTag;
    expect(own).toMatch(/\S+/);
    expect(tx.toTag).toBe(own);
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 180, 'Ringing', 'b1'));
    expect(tx.toTag).toBe('b1');
  });
});
