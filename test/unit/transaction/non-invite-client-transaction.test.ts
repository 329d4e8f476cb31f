import { describe, expect, it } from 'vitest';
import { FR_TIMER, RecordingUser, T2, T4, TCP_PEER, UDP_PEER, fixture, harness, manualPressure, responseTo } from './harness.js';

describe('NonInviteClientTransaction', () => {
  it('retransmits with Timer E (T1 doubling up to T2) until Timer F (fr_timer) reports a timeout', () => {
    const h = harness();
    const tx = h.layer.createClient(fixture('options.sip'), UDP_PEER, h.user, { frTimer: 16_000 });
    h.scheduler.advance(16_000);
    expect(h.transport.timesOf('OPTIONS')).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500]);
    expect(h.user.timeouts).toEqual([tx]);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
  });

  it('holds Timer E retransmissions while this thread is under pressure, in Trying and in Proceeding; Timer F still ends the wait', () => {
    const p = manualPressure();
    const h = harness(false, undefined, p.gauge);
    const bye = fixture('options.sip');
    const tx = h.layer.createClient(bye, UDP_PEER, h.user, { frTimer: 16_000 });
    p.gauge.pressured = true;
    h.scheduler.advance(1000);
    p.gauge.pressured = false;
    h.scheduler.advance(1000);
    h.layer.receiveResponse(responseTo(bye, 100, 'Trying'));
    p.gauge.pressured = true;
    h.scheduler.advance(6000);
    p.gauge.pressured = false;
    h.scheduler.advance(8000);
    expect(h.transport.timesOf('OPTIONS')).toEqual([0, 1500, 11_500, 15_500]);
    expect(h.user.timeouts).toEqual([tx]);
    expect(p.held()).toBe(3);
    p.close();
  });

  it('keeps retransmitting under pressure for a user that asks to (the prober), so one lost reply does not end in a timeout', () => {
    const p = manualPressure();
    const h = harness(false, undefined, p.gauge);
    const options = fixture('options.sip');
    p.gauge.pressured = true;
    const prober = Object.assign(new RecordingUser(), { retransmitsUnderPressure: true });
    const tx = h.layer.createClient(options, UDP_PEER, prober, { frTimer: 16_000 });
    h.scheduler.advance(4000);
    expect(h.transport.timesOf('OPTIONS')).toEqual([0, 500, 1500, 3500]);
    expect(p.held()).toBe(0);
    h.layer.receiveResponse(responseTo(options, 200, 'OK'));
    expect(tx.state).toBe('completed');
    expect(prober.statuses).toEqual([200]);
    p.close();
  });

  it('uses the layer fr_timer by default', () => {
    const h = harness();
    h.layer.createClient(fixture('options.sip'), UDP_PEER, h.user);
    h.scheduler.advance(FR_TIMER - 1);
    expect(h.user.timeouts).toHaveLength(0);
    h.scheduler.advance(1);
    expect(h.user.timeouts).toHaveLength(1);
  });

  it('after a provisional, keeps retransmitting every T2 (§17.1.2.2) and passes provisionals up', () => {
    const h = harness();
    const options = fixture('options.sip');
    const tx = h.layer.createClient(options, UDP_PEER, h.user, { frTimer: 20_000 });
    h.scheduler.advance(600);
    h.layer.receiveResponse(responseTo(options, 100, 'Trying'));
    expect(tx.state).toBe('proceeding');
    h.scheduler.advance(14_000);
    // E was armed for 1000 ms at t=500 and fires at 1500; from then on every T2
    expect(h.transport.timesOf('OPTIONS')).toEqual([0, 500, 1500, 1500 + T2, 1500 + 2 * T2, 1500 + 3 * T2]);
    expect(h.user.statuses).toEqual([100]);
  });

  it('passes the final response up once, absorbs its retransmissions, and ends after Timer K (T4)', () => {
    const h = harness();
    const options = fixture('options.sip');
    const tx = h.layer.createClient(options, UDP_PEER, h.user);
    const ok = responseTo(options, 200, 'OK', 'srv1');
    h.scheduler.advance(700);
    expect(h.layer.receiveResponse(ok)).toBe(true);
    expect(tx.state).toBe('completed');
    expect(h.layer.receiveResponse(ok)).toBe(true);
    expect(h.user.statuses).toEqual([200]);
    h.scheduler.advance(T4 - 1);
    expect(tx.state).toBe('completed');
    expect(h.transport.timesOf('OPTIONS')).toEqual([0, 500]);
    h.scheduler.advance(1);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.layer.receiveResponse(ok)).toBe(false);
  });

  it('over TCP: no Timer E, and Timer K is zero', () => {
    const h = harness(true);
    const options = fixture('options.sip');
    const tx = h.layer.createClient(options, TCP_PEER, h.user);
    expect(h.scheduler.pending).toBe(1); // Timer F only
    h.scheduler.advance(FR_TIMER - 1);
    expect(h.transport.lines).toHaveLength(1);
    h.layer.receiveResponse(responseTo(options, 404, 'Not Found', 'x'));
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
    expect(h.user.statuses).toEqual([404]);
  });

  it('reports a transport error in Proceeding and terminates', () => {
    const h = harness();
    const options = fixture('options.sip');
    const tx = h.layer.createClient(options, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(options, 100, 'Trying'));
    h.scheduler.advance(T2);
    h.transport.last().onError(new Error('EHOSTUNREACH'));
    expect(h.user.errors.map((e) => e.message)).toEqual(['EHOSTUNREACH']);
    expect(tx.state).toBe('terminated');
    expect(h.scheduler.pending).toBe(0);
  });

  it('a CANCEL has its own transaction: its response does not reach the INVITE one (§17.1.3)', () => {
    const h = harness();
    const invite = fixture('invite.sip');
    const cancel = fixture('cancel.sip');
    const inviteTx = h.layer.createClient(invite, UDP_PEER, h.user);
    const cancelTx = h.layer.createClient(cancel, UDP_PEER, h.user);
    h.layer.receiveResponse(responseTo(cancel, 200, 'OK', 't'));
    expect(cancelTx.state).toBe('completed');
    expect(inviteTx.state).toBe('calling');
  });
});
