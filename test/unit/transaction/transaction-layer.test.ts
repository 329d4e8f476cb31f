import { describe, expect, it } from 'vitest';
import { isSipDispatchError } from '../../../src/shared/errors.js';
import type { SipRequest } from '../../../src/sip/message.js';
import { T1, UDP_PEER, UDP_SOURCE, fixture, flushMicrotasks, harness, parse, responseTo } from './harness.js';

/** A fresh copy of a fixture with one field changed (a new object from the parser each time). */
function changed(name: string, change: (req: SipRequest) => void): SipRequest {
  const req = fixture(name);
  change(req);
  return req;
}

/** The same request as if sent from another host with the same branch. */
const fromOtherHost = (name: string): SipRequest =>
  changed(name, (req) => {
    const via = req.via[0];
    if (via !== undefined) req.via[0] = { ...via, host: '198.51.100.7' };
  });

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isSipDispatchError(e) ? e.code : 'not a SipDispatchError';
  }
  return undefined;
}

describe('TransactionLayer server matching (§17.2.3)', () => {
  it('matches by branch, sent-by and method: another sent-by is another transaction', () => {
    const h = harness();
    const first = h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user);
    expect(first.kind).toBe('new');
    expect(h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user).kind).toBe('retransmission');
    expect(h.layer.receiveRequest(fromOtherHost('invite.sip'), UDP_SOURCE, h.user).kind).toBe('new');
    expect(h.layer.activeCount).toBe(2);
  });

  it('compares the sent-by host case-insensitively, and its port', () => {
    const h = harness();
    const withVia = (change: Partial<{ host: string; port: number | undefined }>): SipRequest =>
      changed('invite.sip', (req) => {
        const via = req.via[0];
        if (via !== undefined) req.via[0] = { ...via, ...change };
      });
    expect(h.layer.receiveRequest(withVia({}), UDP_SOURCE, h.user).kind).toBe('new');
    expect(h.layer.receiveRequest(withVia({ host: 'PC33.Atlanta.example.com' }), UDP_SOURCE, h.user).kind).toBe('new');
    expect(h.layer.receiveRequest(withVia({ host: 'pc33.atlanta.example.com' }), UDP_SOURCE, h.user).kind).toBe('retransmission');
    expect(h.layer.receiveRequest(withVia({ port: 5070 }), UDP_SOURCE, h.user).kind).toBe('new');
    expect(h.layer.receiveRequest(withVia({ port: undefined }), UDP_SOURCE, h.user).kind).toBe('new');
    expect(h.layer.activeCount).toBe(4);
  });

  it('routes an ACK that matches nothing (the ACK for a 2xx) to the user', () => {
    const h = harness();
    expect(h.layer.receiveRequest(fixture('ack-2xx.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: false, tx: undefined });
    expect(h.layer.activeCount).toBe(0);
  });

  it('answers a matching CANCEL 200 with the INVITE transaction To tag, and re-sends it to CANCEL retransmissions', async () => {
    const h = harness();
    const d = h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user);
    if (d.kind !== 'new' || d.tx.kind !== 'invite-server') throw new Error('INVITE expected');
    await flushMicrotasks();
    const result = h.layer.receiveRequest(fixture('cancel.sip'), UDP_SOURCE, h.user);
    expect(result).toEqual({ kind: 'cancel', tx: d.tx });
    expect(d.tx.state).toBe('proceeding');
    const ok = h.transport.lastMessage();
    expect(ok.kind === 'response' && ok.status).toBe(200);
    expect(ok.cseq).toEqual({ seq: 314159, method: 'CANCEL' });
    expect(ok.to.tag).toBe(d.tx.toTag);
    expect(h.transport.last().target).toBe(UDP_SOURCE);

    expect(h.layer.receiveRequest(fixture('cancel.sip'), UDP_SOURCE, h.user).kind).toBe('retransmission');
    expect(h.transport.lines).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 200 OK', 'SIP/2.0 200 OK']);

    // the user answers the INVITE 487 with the same tag; the CANCEL transaction ends after Timer J
    d.tx.respond(responseTo(d.tx.request, 487, 'Request Terminated', d.tx.toTag));
    h.layer.receiveRequest(fixture('ack-non2xx.sip'), UDP_SOURCE, h.user);
    h.scheduler.advance(64 * T1);
    expect(h.layer.activeCount).toBe(0);
    expect(h.scheduler.pending).toBe(0);
  });

  it('leaves a CANCEL that matches no INVITE to the user, without answering it', () => {
    const h = harness();
    expect(h.layer.receiveRequest(fixture('cancel.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'cancel', tx: undefined });
    expect(h.transport.sent).toHaveLength(0);
    expect(h.layer.activeCount).toBe(0);
  });

  it('does not match a CANCEL whose CSeq number differs from the INVITE', () => {
    const h = harness();
    h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user);
    const cancel = changed('cancel.sip', (req) => (req.cseq = { seq: 1, method: 'CANCEL' }));
    expect(h.layer.receiveRequest(cancel, UDP_SOURCE, h.user)).toEqual({ kind: 'cancel', tx: undefined });
  });
});

describe('TransactionLayer RFC 2543 fallback (no magic cookie)', () => {
  it('matches INVITE retransmissions, the ACK by the response To tag, and the CANCEL', async () => {
    const h = harness();
    const d = h.layer.receiveRequest(fixture('invite-rfc2543.sip'), UDP_SOURCE, h.user);
    if (d.kind !== 'new' || d.tx.kind !== 'invite-server') throw new Error('INVITE expected');
    expect(h.layer.receiveRequest(fixture('invite-rfc2543.sip'), UDP_SOURCE, h.user).kind).toBe('retransmission');
    await flushMicrotasks();
    expect(h.layer.receiveRequest(fixture('cancel-rfc2543.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'cancel', tx: d.tx });
    d.tx.respond(responseTo(d.tx.request, 486, 'Busy Here', 'busy8810'));

    const otherTag = changed('ack-rfc2543.sip', (req) => (req.to = { ...req.to, tag: 'someone-else' }));
    expect(h.layer.receiveRequest(otherTag, UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: false, tx: undefined });
    expect(h.layer.receiveRequest(fixture('ack-rfc2543.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: true, tx: d.tx });
    expect(d.tx.state).toBe('confirmed');
  });

  it('tells requests apart by CSeq and Call-ID', () => {
    const h = harness();
    h.layer.receiveRequest(fixture('invite-rfc2543.sip'), UDP_SOURCE, h.user);
    const nextCSeq = changed('invite-rfc2543.sip', (req) => (req.cseq = { seq: 2, method: 'INVITE' }));
    const otherCall = changed('invite-rfc2543.sip', (req) => (req.callId = 'other@legacy'));
    expect(h.layer.receiveRequest(nextCSeq, UDP_SOURCE, h.user).kind).toBe('new');
    expect(h.layer.receiveRequest(otherCall, UDP_SOURCE, h.user).kind).toBe('new');
    expect(h.layer.activeCount).toBe(3);
  });
});

describe('TransactionLayer client side (§17.1.3)', () => {
  it('matches responses by top Via branch and CSeq method, and reports strays', () => {
    const h = harness();
    const options = fixture('options.sip');
    h.layer.createClient(options, UDP_PEER, h.user);
    expect(h.layer.receiveResponse(responseTo(fixture('invite.sip'), 200, 'OK', 'x'))).toBe(false);
    const info = changed('options.sip', (req) => (req.cseq = { seq: 63104, method: 'INFO' }));
    expect(h.layer.receiveResponse(responseTo(info, 200, 'OK', 'x'))).toBe(false);
    expect(h.layer.receiveResponse(responseTo(options, 200, 'OK', 'x'))).toBe(true);
  });

  it('refuses an ACK, a request without a z9hG4bK branch, and a duplicate', () => {
    const h = harness();
    expect(errorCode(() => h.layer.createClient(fixture('ack-2xx.sip'), UDP_PEER, h.user))).toBe('TXN_INVALID_REQUEST');
    expect(errorCode(() => h.layer.createClient(fixture('invite-rfc2543.sip'), UDP_PEER, h.user))).toBe('TXN_INVALID_REQUEST');
    h.layer.createClient(fixture('options.sip'), UDP_PEER, h.user);
    expect(errorCode(() => h.layer.createClient(fixture('options.sip'), UDP_PEER, h.user))).toBe('TXN_DUPLICATE');
    expect(h.layer.activeCount).toBe(1);
  });

  it('sends the request as serialized from the model', () => {
    const h = harness();
    const options = fixture('options.sip');
    h.layer.createClient(options, UDP_PEER, h.user);
    const sent = parse(h.transport.last().bytes);
    expect(sent.kind === 'request' && sent.method).toBe('OPTIONS');
    expect(sent.via[0]?.branch).toBe('z9hG4bKhjhs8ass877');
  });
});

describe('TransactionLayer lifecycle', () => {
  it('counts live transactions and resolves idle() once none awaits a final response', async () => {
    const h = harness();
    await h.layer.idle();
    const options = fixture('options.sip');
    h.layer.createClient(options, UDP_PEER, h.user);
    const server = h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user);
    expect(h.layer.activeCount).toBe(2);
    let idle = false;
    const waiting = h.layer.idle().then(() => {
      idle = true;
    });
    h.layer.receiveResponse(responseTo(options, 200, 'OK', 'x'));
    h.scheduler.advance(10_000);
    await flushMicrotasks();
    expect(h.layer.activeCount).toBe(1);
    expect(h.layer.awaitingFinal()).toBe(1);
    expect(idle).toBe(false);
    if (server.kind !== 'new') throw new Error('new expected');
    server.tx.respond(responseTo(server.tx.request, 200, 'OK', 'y'));
    // Accepted only absorbs retransmissions: shutdown need not wait for Timer L.
    expect(h.layer.awaitingFinal()).toBe(0);
    h.scheduler.advance(100);
    await waiting;
    expect(idle).toBe(true);
    h.scheduler.advance(64 * T1);
    expect(h.layer.activeCount).toBe(0);
    expect(h.scheduler.pending).toBe(0);
  });

  it('close() ends every transaction and cancels every timer, without callbacks', async () => {
    const h = harness();
    h.layer.createClient(fixture('invite.sip'), UDP_PEER, h.user);
    h.layer.createClient(fixture('options.sip'), UDP_PEER, h.user);
    h.layer.receiveRequest(fixture('invite-rfc2543.sip'), UDP_SOURCE, h.user);
    expect(h.layer.awaitingFinal()).toBe(3);
    h.layer.close();
    await h.layer.idle();
    expect(h.layer.activeCount).toBe(0);
    expect(h.scheduler.pending).toBe(0);
    h.scheduler.advance(200_000);
    await flushMicrotasks();
    expect(h.user.timeouts).toHaveLength(0);
    expect(h.transport.lines.filter((l) => l.startsWith('SIP/2.0 100'))).toHaveLength(0);
  });
});
