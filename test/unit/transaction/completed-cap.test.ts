/**
 * max_completed_transactions in the layer: which answered transactions count, which end early,
 * and what an early end changes on the wire. Fake clock throughout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { subscribe } from '../../../src/shared/events.js';
import type { SipRequest } from '../../../src/sip/message.js';
import type { InviteServerTransaction } from '../../../src/transaction/invite-server-transaction.js';
import type { ServerTransaction } from '../../../src/transaction/transactions.js';
import { T4, UDP_PEER, UDP_SOURCE, fixture, flushMicrotasks, harness, responseTo, type Harness } from './harness.js';

const J = 64 * 500;

function newServer(h: Harness, req: SipRequest): ServerTransaction {
  const d = h.layer.receiveRequest(req, UDP_SOURCE, h.user);
  if (d.kind !== 'new') throw new Error(`unexpected ${d.kind}`);
  return d.tx;
}

/** An OPTIONS server transaction answered 200: Completed, waiting out Timer J. */
function answeredOptions(h: Harness, branch: string): ServerTransaction {
  const tx = newServer(h, fixture('options.sip', branch));
  tx.respond(responseTo(fixture('options.sip', branch), 200, 'OK', 'srv'));
  return tx;
}

let unsubscribe: (() => void) | undefined;
afterEach(() => {
  unsubscribe?.();
  unsubscribe = undefined;
});

describe('max_completed_transactions', () => {
  it('ends the oldest answered transaction early; a late retransmission of its request is then new again', () => {
    const h = harness(false, 2);
    let events = 0;
    unsubscribe = subscribe('transaction.evicted', () => events++);
    const first = answeredOptions(h, 'z9hG4bK-o1');
    const second = answeredOptions(h, 'z9hG4bK-o2');
    expect(h.layer.completedCount).toBe(2);
    const third = answeredOptions(h, 'z9hG4bK-o3');
    expect(first.state).toBe('terminated');
    expect([second.state, third.state]).toEqual(['completed', 'completed']);
    expect(h.layer.completedCount).toBe(2);
    expect(h.layer.evictedCount).toBe(1);
    expect(events).toBe(1);
    // the early end sends nothing and tells the user nothing
    expect(h.transport.lines).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
    expect(h.user.timeouts).toEqual([]);
    expect(h.layer.receiveRequest(fixture('options.sip', 'z9hG4bK-o1'), UDP_SOURCE, h.user).kind).toBe('new');
    expect(h.layer.receiveRequest(fixture('options.sip', 'z9hG4bK-o2'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx: second });
    expect(h.transport.lines.at(-1)).toBe('SIP/2.0 200 OK');
  });

  it('never counts nor ends a transaction still waiting for its answer', () => {
    const h = harness(false, 1);
    const pending = [newServer(h, fixture('options.sip', 'z9hG4bK-p1')), newServer(h, fixture('options.sip', 'z9hG4bK-p2'))];
    const client = h.layer.createClient(fixture('options.sip', 'z9hG4bK-c1'), UDP_PEER, h.user);
    expect(h.layer.completedCount).toBe(0);
    answeredOptions(h, 'z9hG4bK-o1');
    answeredOptions(h, 'z9hG4bK-o2');
    expect(h.layer.evictedCount).toBe(1);
    expect(pending.map((tx) => tx.state)).toEqual(['trying', 'trying']);
    expect(client.state).toBe('trying');
  });

  it('lets Timer J end a transaction as before, which then leaves the count', () => {
    const h = harness(false, 10);
    const tx = answeredOptions(h, 'z9hG4bK-o1');
    expect(h.layer.completedCount).toBe(1);
    h.scheduler.advance(J - 1);
    expect(tx.state).toBe('completed');
    h.scheduler.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.layer.completedCount).toBe(0);
    expect(h.layer.evictedCount).toBe(0);
  });

  it('counts a non-INVITE client in Completed (Timer K) and ends it early: a late final is then a stray', () => {
    const h = harness(false, 1);
    const req = fixture('options.sip', 'z9hG4bK-c1');
    const client = h.layer.createClient(req, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(req, 200, 'OK', 'u'));
    expect(client.state).toBe('completed');
    expect(h.layer.receiveResponse(responseTo(req, 200, 'OK', 'u'))).toBe(true);
    answeredOptions(h, 'z9hG4bK-o1');
    expect(client.state).toBe('terminated');
    expect(h.layer.receiveResponse(responseTo(req, 200, 'OK', 'u'))).toBe(false);
    expect(h.user.statuses).toEqual([200]);
  });

  it('never ends an INVITE server transaction retransmitting its non-2xx until the ACK; once Confirmed it counts', async () => {
    const h = harness(false, 1);
    const invite = newServer(h, fixture('invite.sip')) as InviteServerTransaction;
    await flushMicrotasks();
    invite.respond(responseTo(fixture('invite.sip'), 486, 'Busy Here', 'busy'));
    expect(invite.state).toBe('completed');
    expect(h.layer.completedCount).toBe(0);
    const a = answeredOptions(h, 'z9hG4bK-o1');
    answeredOptions(h, 'z9hG4bK-o2');
    expect(a.state).toBe('terminated');
    expect(invite.state).toBe('completed');
    // Timer G still re-sends the 486
    h.scheduler.advance(500);
    expect(h.transport.lines.at(-1)).toBe('SIP/2.0 486 Busy Here');
    expect(h.layer.receiveRequest(fixture('ack-non2xx.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: true, tx: invite });
    expect(invite.state).toBe('confirmed');
    expect(h.layer.completedCount).toBe(1);
    expect(h.layer.evictedCount).toBe(2);
    // the Confirmed INVITE is now the oldest answered one
    answeredOptions(h, 'z9hG4bK-o3');
    expect(invite.state).toBe('terminated');
  });

  it('does not count INVITE transactions in Accepted (a call the farm took)', async () => {
    const h = harness(false, 1);
    const invite = newServer(h, fixture('invite.sip')) as InviteServerTransaction;
    await flushMicrotasks();
    invite.respond(responseTo(fixture('invite.sip'), 200, 'OK', 'callee'));
    const req = fixture('invite.sip', 'z9hG4bK-c1');
    const client = h.layer.createClient(req, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(req, 200, 'OK', 'callee'));
    expect([invite.state, client.state]).toEqual(['accepted', 'accepted']);
    expect(h.layer.completedCount).toBe(0);
    answeredOptions(h, 'z9hG4bK-o1');
    answeredOptions(h, 'z9hG4bK-o2');
    expect([invite.state, client.state]).toEqual(['accepted', 'accepted']);
  });

  it('counts an INVITE client in Completed (Timer D) and ends it early: a late final is then not ACKed again', () => {
    const h = harness(false, 1);
    const req = fixture('invite.sip', 'z9hG4bK-c1');
    const client = h.layer.createClient(req, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(req, 486, 'Busy Here', 'busy'));
    expect(client.state).toBe('completed');
    expect(h.layer.completedCount).toBe(1);
    answeredOptions(h, 'z9hG4bK-o1');
    expect(client.state).toBe('terminated');
    const acks = h.transport.timesOf('ACK').length;
    expect(h.layer.receiveResponse(responseTo(req, 486, 'Busy Here', 'busy'))).toBe(false);
    expect(h.transport.timesOf('ACK')).toHaveLength(acks);
  });

  it('counts nothing over a reliable transport, where answered transactions end at once', () => {
    const h = harness(true, 1);
    const a = answeredOptions(h, 'z9hG4bK-o1');
    expect(a.state).toBe('terminated');
    expect(h.layer.completedCount).toBe(0);
    expect(h.layer.activeCount).toBe(0);
  });

  it('still tells the user when a retransmitted final cannot be sent (RFC 6026 §8.8)', () => {
    const h = harness(false, 10);
    const tx = answeredOptions(h, 'z9hG4bK-o1');
    h.layer.receiveRequest(fixture('options.sip', 'z9hG4bK-o1'), UDP_SOURCE, h.user);
    h.transport.last().onError(new Error('ICMP unreachable'));
    expect(h.user.errors.map((e) => e.message)).toEqual(['ICMP unreachable']);
    expect(tx.state).toBe('completed');
  });

  it('a non-INVITE client in Completed leaves a record absorbing in its place; shutdown or abort ends it', () => {
    const h = harness(false, 10);
    const req = fixture('options.sip', 'z9hG4bK-c1');
    const client = h.layer.createClient(req, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(req, 404, 'Not Found', 'u'));
    expect(h.layer.activeCount).toBe(1);
    expect(h.layer.awaitingFinal()).toBe(0);
    h.layer.close();
    expect(client.state).toBe('terminated');
    expect(h.layer.activeCount).toBe(0);
    expect(h.layer.completedCount).toBe(0);
    expect(h.layer.receiveResponse(responseTo(req, 404, 'Not Found', 'u'))).toBe(false);

    const req2 = fixture('options.sip', 'z9hG4bK-c2');
    const other = h.layer.createClient(req2, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(req2, 200, 'OK', 'u'));
    other.abort();
    expect(other.state).toBe('terminated');
    expect(h.layer.activeCount).toBe(0);
    expect(h.scheduler.pending).toBe(0);
  });

  it('an answered server transaction keeps a response target of its own when its host may be a slice of the request', () => {
    const h = harness(false, 10);
    const long = { transport: 'udp' as const, host: '203.0.113.100', port: 5060 };
    const d = h.layer.receiveRequest(fixture('options.sip', 'z9hG4bK-l1'), long, h.user);
    if (d.kind !== 'new') throw new Error(d.kind);
    expect(d.tx.peer).toBe(long);
    d.tx.respond(responseTo(fixture('options.sip', 'z9hG4bK-l1'), 200, 'OK', 'srv'));
    expect(d.tx.peer).not.toBe(long);
    expect(d.tx.peer).toEqual(long);
    h.layer.receiveRequest(fixture('options.sip', 'z9hG4bK-l1'), long, h.user);
    expect(h.transport.last().target).toEqual(long);
    // a short host (never a slice) is kept as it is
    const short = answeredOptions(h, 'z9hG4bK-s1');
    expect(short.peer).toBe(UDP_SOURCE);
  });

  it('ends nothing without a cap', () => {
    const h = harness(false, 0);
    const all = Array.from({ length: 50 }, (_, i) => answeredOptions(h, `z9hG4bK-o${i}`));
    expect(all.every((tx) => tx.state === 'completed')).toBe(true);
    expect(h.layer.completedCount).toBe(50);
    h.scheduler.advance(Math.max(J, T4));
    expect(h.layer.completedCount).toBe(0);
  });
});
