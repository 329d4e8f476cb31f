import { describe, expect, it } from 'vitest';
import { serialize } from '../../../src/sip/serialize.js';
import { buildCancel } from '../../../src/transaction/hop-by-hop.js';
import { UDP_PEER, fixture, harness, parse, responseTo } from './harness.js';

describe('buildCancel (§9.1)', () => {
  it('copies Request-URI, From, To, Call-ID, the CSeq number, the top Via and the Route of the INVITE', () => {
    const invite = fixture('invite.sip');
    const cancel = parse(serialize(buildCancel(invite)));
    if (cancel.kind !== 'request') throw new Error('request expected');
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.uri).toBe(invite.uri);
    expect(cancel.via.map((v) => v.raw)).toEqual([invite.via[0]?.raw]);
    expect(cancel.from.raw).toBe(invite.from.raw);
    expect(cancel.to.raw).toBe(invite.to.raw);
    expect(cancel.callId).toBe(invite.callId);
    expect(cancel.cseq).toEqual({ seq: invite.cseq.seq, method: 'CANCEL' });
    expect(cancel.route.map((r) => r.raw)).toEqual(invite.route.map((r) => r.raw));
    expect(cancel.maxForwards).toBe(70);
    expect(cancel.body.length).toBe(0);
  });

  it('goes out on its own client transaction, beside the INVITE one', () => {
    const h = harness();
    const invite = fixture('invite.sip');
    const inviteTx = h.layer.createClient(invite, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(invite, 180, 'Ringing', 'b1'));
    const cancel = buildCancel(inviteTx.request);
    const cancelTx = h.layer.createClient(cancel, inviteTx.peer, h.user);
    expect(h.transport.lines.at(-1)).toBe('CANCEL sip:bob@biloxi.example.com SIP/2.0');
    h.layer.receiveResponse(responseTo(cancel, 200, 'OK', 'b1'));
    h.layer.receiveResponse(responseTo(invite, 487, 'Request Terminated', 'b1'));
    expect(cancelTx.state).toBe('completed');
    expect(inviteTx.state).toBe('completed');
    expect(h.user.statuses).toEqual([180, 200, 487]);
  });
});
