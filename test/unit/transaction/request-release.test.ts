/**
 * What a transaction keeps once it only absorbs retransmissions: users that set releasesRequest
 * lose `tx.request` on Completed / Accepted / Confirmed (after hearing the final response), the
 * matching rules that read the request still hold, and kept responses own their memory.
 */
import { describe, expect, it } from 'vitest';
import { SipDispatchError } from '../../../src/shared/errors.js';
import { serialize } from '../../../src/sip/serialize.js';
import { buildCancel } from '../../../src/transaction/hop-by-hop.js';
import type { ClientTransaction, ServerTransaction } from '../../../src/transaction/transactions.js';
import { RecordingUser, T1, UDP_PEER, UDP_SOURCE, fixture, flushMicrotasks, harness, parse, responseTo, type Harness } from './harness.js';

/** A user that never reads a request after the final response, and checks it can until then. */
class ReleasingUser extends RecordingUser {
  readonly releasesRequest = true;
  readonly callIdsSeen: string[] = [];
  private readonly answered = new Set<ClientTransaction>();

  override onResponse(tx: ClientTransaction, res: Parameters<RecordingUser['onResponse']>[1]): void {
    if (!this.answered.has(tx)) this.callIdsSeen.push(tx.request.callId);
    if (res.status >= 200) this.answered.add(tx);
    super.onResponse(tx, res);
  }
}

function releasing(): Harness & { user: ReleasingUser } {
  return { ...harness(), user: new ReleasingUser() };
}

function newServer(h: Harness, name: string): ServerTransaction {
  const d = h.layer.receiveRequest(fixture(name), UDP_SOURCE, h.user);
  if (d.kind !== 'new') throw new Error(`unexpected ${d.kind}`);
  return d.tx;
}

function expectReleased(tx: { request: unknown }): void {
  expect(() => tx.request).toThrow(SipDispatchError);
  expect(() => tx.request).toThrow(/no longer holds its request/);
}

describe('request release in absorbing states', () => {
  it('keeps the request for users that did not ask (the default)', async () => {
    const h = harness();
    const tx = newServer(h, 'invite.sip');
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 200, 'OK', 'a1'));
    expect(tx.state).toBe('accepted');
    expect(tx.request.method).toBe('INVITE');
  });

  it('INVITE server: drops the request on Accepted, still absorbs retransmissions and matches ACK and CANCEL', async () => {
    const h = releasing();
    const tx = newServer(h, 'invite.sip');
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 200, 'OK', 'a6c85cf'));
    expectReleased(tx);
    expect(h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx });
    expect(h.layer.receiveRequest(fixture('ack-non2xx.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: false, tx });
    expect(h.layer.receiveRequest(fixture('cancel.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'cancel', tx });
    expect(h.transport.lastMessage()).toMatchObject({ kind: 'response', status: 200, to: { tag: 'a6c85cf' } });
  });

  it('INVITE server: drops the request on Completed and keeps re-sending the final from its own memory', async () => {
    const h = releasing();
    const tx = newServer(h, 'invite.sip');
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 486, 'Busy Here', 'busy8810'));
    const first = h.transport.last().bytes;
    expectReleased(tx);
    h.scheduler.advance(T1);
    const resent = h.transport.last().bytes;
    expect(parse(resent)).toMatchObject({ kind: 'response', status: 486 });
    // Kept as a string, byte for byte (not the Buffer sent, a slice of Node's 8 KB pool).
    expect(resent).not.toBe(first);
    expect(resent.equals(first)).toBe(true);
    expect(h.layer.receiveRequest(fixture('ack-non2xx.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'ack', absorbed: true, tx });
  });

  it('RFC 2543 INVITE server: still compares To tags after the release', async () => {
    const h = releasing();
    const tx = newServer(h, 'invite-rfc2543.sip');
    await flushMicrotasks();
    tx.respond(responseTo(tx.request, 486, 'Busy Here', 'busy8810'));
    expectReleased(tx);
    expect(h.layer.receiveRequest(fixture('invite-rfc2543.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx });
  });

  it('non-INVITE server: drops the request on Completed, re-sends its final from its own memory', () => {
    const h = releasing();
    const tx = newServer(h, 'options.sip');
    tx.respond(responseTo(tx.request, 200, 'OK', 'srv'));
    const first = h.transport.last().bytes;
    expectReleased(tx);
    expect(h.layer.receiveRequest(fixture('options.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx });
    const resent = h.transport.last().bytes;
    expect(h.transport.lines).toEqual(['SIP/2.0 200 OK', 'SIP/2.0 200 OK']);
    expect(resent).not.toBe(first);
    expect(resent.equals(first)).toBe(true);
  });

  it('INVITE client: the user reads the request with the 2xx, then it is gone; 2xx retransmissions still come up', () => {
    const h = releasing();
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(invite, 180, 'Ringing', 'b1'));
    expect(tx.request.method).toBe('INVITE');
    h.layer.receiveResponse(responseTo(invite, 200, 'OK', 'b1'));
    expect(tx.state).toBe('accepted');
    expectReleased(tx);
    h.layer.receiveResponse(responseTo(invite, 200, 'OK', 'b1'));
    expect(h.user.statuses).toEqual([180, 200, 200]);
    expect(h.user.callIdsSeen).toHaveLength(2);
  });

  it('INVITE client: drops the request on Completed and still ACKs a retransmitted final', () => {
    const h = releasing();
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(invite, 486, 'Busy Here', 'b1'));
    expect(tx.state).toBe('completed');
    expectReleased(tx);
    h.layer.receiveResponse(responseTo(invite, 486, 'Busy Here', 'b1'));
    expect(h.transport.lines).toEqual(['INVITE sip:bob@biloxi.example.com SIP/2.0', 'ACK sip:bob@biloxi.example.com SIP/2.0', 'ACK sip:bob@biloxi.example.com SIP/2.0']);
    expect(h.user.callIdsSeen).toEqual([invite.callId]);
  });

  it('non-INVITE client: drops the request on Completed, after the user heard the final', () => {
    const h = releasing();
    const options = fixture('options.sip');
    const tx = h.layer.createClient(options, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(options, 200, 'OK', 'u'));
    expect(tx.state).toBe('completed');
    expectReleased(tx);
    expect(h.user.callIdsSeen).toEqual([options.callId]);
    h.scheduler.advance(10 * T1);
    expect(h.transport.sent).toHaveLength(1);
  });
});

describe('a releasing user\'s pending transactions hold no parsed request', () => {
  it('client: the request is parsed again from the bytes it sent, for the CANCEL while ringing and the ACK of a non-2xx', () => {
    const h = releasing();
    const invite = fixture('invite.sip');
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    const sent = h.transport.last().bytes;
    expect(tx.request).not.toBe(invite);
    expect(serialize(tx.request).equals(sent)).toBe(true);
    h.layer.receiveResponse(responseTo(invite, 180, 'Ringing', 'b1'));
    expect(tx.state).toBe('proceeding');
    // the CANCEL the relay builds after Timer C or the caller's CANCEL
    expect(serialize(buildCancel(tx.request)).equals(serialize(buildCancel(invite)))).toBe(true);
    h.layer.receiveResponse(responseTo(invite, 487, 'Request Terminated', 'b1'));
    const ack = parse(h.transport.last().bytes);
    expect(ack).toMatchObject({ kind: 'request', method: 'ACK', uri: invite.uri, callId: invite.callId, cseq: { seq: invite.cseq.seq, method: 'ACK' } });
    expect(ack.via.map((v) => v.raw)).toEqual([invite.via[0]!.raw]);
    expectReleased(tx);
  });

  it('client: a request above the parser\'s default size limit (max_message_size raised) is parsed again too', () => {
    const h = releasing();
    const invite = fixture('invite.sip');
    invite.headers.push({ name: 'X-Big', key: 'x-big', value: 'x'.repeat(70_000) });
    const tx = h.layer.createClient(invite, UDP_PEER, h.user);
    expect(tx.request.headers.at(-1)?.value).toHaveLength(70_000);
  });

  it('client of a user that keeps requests (the prober): holds the request it was given', () => {
    const h = harness();
    const options = fixture('options.sip');
    const tx = h.layer.createClient(options, UDP_PEER, h.user);
    expect(tx.request).toBe(options);
  });

  it('non-INVITE server: forgetRequest drops it at once; the final still goes out and retransmissions are absorbed', () => {
    const h = releasing();
    const options = fixture('options.sip');
    const tx = newServer(h, 'options.sip');
    tx.forgetRequest();
    expectReleased(tx);
    expect(h.layer.receiveRequest(fixture('options.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx });
    tx.respond(responseTo(options, 408, 'Request Timeout', 'srv'));
    expect(h.layer.receiveRequest(fixture('options.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx });
    expect(h.transport.lines).toEqual(['SIP/2.0 408 Request Timeout', 'SIP/2.0 408 Request Timeout']);
  });

  it('INVITE server: forgotten in the tick it arrived, it still sends its 100 Trying, then holds nothing; CANCEL still matches', async () => {
    const h = releasing();
    const invite = fixture('invite.sip');
    const tx = newServer(h, 'invite.sip');
    tx.forgetRequest();
    await flushMicrotasks();
    expect(h.transport.lines).toEqual(['SIP/2.0 100 Trying']);
    expectReleased(tx);
    expect(h.layer.receiveRequest(fixture('invite.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'retransmission', tx });
    expect(h.transport.lines).toEqual(['SIP/2.0 100 Trying', 'SIP/2.0 100 Trying']);
    expect(h.layer.receiveRequest(fixture('cancel.sip'), UDP_SOURCE, h.user)).toEqual({ kind: 'cancel', tx });
    tx.respond(responseTo(invite, 487, 'Request Terminated', 'busy8810'));
    expect(tx.state).toBe('completed');
    expect(h.layer.receiveRequest(fixture('ack-non2xx.sip'), UDP_SOURCE, h.user)).toMatchObject({ kind: 'ack', absorbed: true });
  });

  it('the default user: forgetRequest keeps the request', () => {
    const h = harness();
    const tx = newServer(h, 'options.sip');
    tx.forgetRequest();
    expect(tx.request.method).toBe('OPTIONS');
  });
});
