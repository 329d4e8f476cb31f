import { describe, expect, it } from 'vitest';
import type { NonInviteServerTransaction } from '../../../src/transaction/non-invite-server-transaction.js';
import { T1, TCP_PEER, UDP_SOURCE, fixture, flushMicrotasks, harness, responseTo, type Harness } from './harness.js';

function newOptions(h: Harness, target = UDP_SOURCE): NonInviteServerTransaction {
  const d = h.layer.receiveRequest(fixture('options.sip'), target, h.user);
  if (d.kind !== 'new' || d.tx.kind !== 'non-invite-server') throw new Error(`unexpected ${d.kind}`);
  return d.tx;
}

describe('NonInviteServerTransaction', () => {
  it('sends nothing by itself and discards retransmissions while Trying', async () => {
    const h = harness();
    const tx = newOptions(h);
    await flushMicrotasks();
    expect(h.layer.receiveRequest(fixture('options.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx });
    expect(h.transport.sent).toHaveLength(0);
    expect(tx.state).toBe('trying');
  });

  it('re-sends the last provisional, then the final, to request retransmissions', () => {
    const h = harness();
    const tx = newOptions(h);
    tx.respond(responseTo(tx.request, 100, 'Trying'));
    expect(tx.state).toBe('proceeding');
    h.layer.receiveRequest(fixture('options.sip'), UDP_SOURCE, h.user);
    tx.respond(responseTo(tx.request, 200, 'OK', 'srv'));
    expect(tx.state).toBe('completed');
    h.layer.receiveRequest(fixture('options.sip'), UDP_SOURCE, h.user);
    expect(h.transport.lines).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
    expect(h.transport.sent.every((s) => s.target === UDP_SOURCE)).toBe(true);
  });

  it('discards any other final response while Completed and ends after Timer J (64·T1)', () => {
    const h = harness();
    const tx = newOptions(h);
    expect(tx.respond(responseTo(tx.request, 200, 'OK', 'srv'))).toBe(true);
    expect(tx.respond(responseTo(tx.request, 500, 'Server Error', 'srv'))).toBe(false);
    h.scheduler.advance(64 * T1 - 1);
    expect(tx.state).toBe('completed');
    h.scheduler.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.transport.lines).toEqual(['SIP/2.0 200 OK']);
    expect(h.layer.receiveRequest(fixture('options.sip'), UDP_SOURCE, h.user).kind).toBe('new');
  });

  it('over TCP terminates as soon as the final response is sent (Timer J = 0)', () => {
    const h = harness(true);
    const tx = newOptions(h, TCP_PEER);
    tx.respond(responseTo(tx.request, 200, 'OK', 'srv'));
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.activeCount).toBe(0);
    expect(h.transport.last().target).toBe(TCP_PEER);
  });

  it('reports a send failure to the user', () => {
    const h = harness();
    const tx = newOptions(h);
    tx.respond(responseTo(tx.request, 200, 'OK', 'srv'));
    h.transport.last().onError(new Error('EPIPE'));
    expect(h.user.errors.map((e) => e.message)).toEqual(['EPIPE']);
    expect(tx.state).toBe('completed');
  });
});
