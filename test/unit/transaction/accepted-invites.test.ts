import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { AcceptedInvites } from '../../../src/transaction/accepted-invites.js';
import { timerValues } from '../../../src/transaction/timers.js';
import { TransactionLayer } from '../../../src/transaction/transaction-layer.js';
import type { SipRequest } from '../../../src/sip/message.js';
import { FakeTransport, RecordingUser, T1, UDP_SOURCE, fixture, responseTo } from './harness.js';

describe('AcceptedInvites (the rest of RFC 6026 Timer L)', () => {
  it('keeps a key for at least keepMs and at most twice that, then forgets it', () => {
    const scheduler = new ManualScheduler();
    const keys = new AcceptedInvites(scheduler, 1000);
    keys.remember('a');
    scheduler.advance(600);
    keys.remember('b');
    expect([keys.has('a'), keys.has('b'), keys.has('c')]).toEqual([true, true, false]);
    scheduler.advance(1000);
    expect([keys.has('a'), keys.has('b')]).toEqual([true, true]);
    scheduler.advance(1000);
    expect([keys.has('a'), keys.has('b'), keys.size]).toEqual([false, false, 0]);
    expect(scheduler.pending).toBe(0);
  });

  it('keeps nothing when wait_timer already covers Timer L', () => {
    const scheduler = new ManualScheduler();
    const keys = new AcceptedInvites(scheduler, 0);
    keys.remember('a');
    expect([keys.has('a'), scheduler.pending]).toEqual([false, 0]);
  });
});

describe('TransactionLayer: an INVITE retransmitted after wait_timer ended its Accepted transaction', () => {
  /** A layer with wait_timer 5 s that has answered `invite` with `status` (a new server transaction). */
  function answered(invite: SipRequest, status: number) {
    const scheduler = new ManualScheduler();
    const transport = new FakeTransport(scheduler);
    const timers = timerValues({ t1: T1, t2: 4000, t4: 5000, frTimer: 5000, frInvTimer: 120_000, waitTimer: 5000 });
    const layer = new TransactionLayer({ transport, scheduler, timers, logger: silentLogger });
    const user = new RecordingUser();
    answer(layer, user, invite, status);
    return { scheduler, layer, user };
  }

  function answer(layer: TransactionLayer, user: RecordingUser, invite: SipRequest, status: number): void {
    const d = layer.receiveRequest(invite, UDP_SOURCE, user);
    if (d.kind !== 'new') throw new Error('expected a new transaction');
    d.tx.respond(responseTo(invite, status, status < 300 ? 'OK' : 'Busy Here', 'uas'));
  }

  it('is absorbed, not taken for a new call, until 64·T1 after the 2xx; then a new INVITE with that branch is new again', () => {
    const invite = fixture('invite.sip');
    const { scheduler, layer, user } = answered(invite, 200);
    scheduler.advance(5000);
    expect(layer.activeCount).toBe(0);
    expect(layer.hasServerFor(invite)).toBe(true);
    expect(layer.receiveRequest(invite, UDP_SOURCE, user)).toEqual({ kind: 'retransmission', tx: undefined });
    expect(layer.activeCount).toBe(0);
    scheduler.advance(64 * T1 * 2);
    expect(layer.hasServerFor(invite)).toBe(false);
    expect(layer.receiveRequest(invite, UDP_SOURCE, user).kind).toBe('new');
  });

  it('another INVITE, and an INVITE after a non-2xx answer, are not held back', () => {
    const { scheduler, layer, user } = answered(fixture('invite.sip'), 200);
    scheduler.advance(5000);
    expect(layer.receiveRequest(fixture('invite.sip', 'z9hG4bK-other'), UDP_SOURCE, user).kind).toBe('new');
    const rejected = fixture('invite.sip', 'z9hG4bK-rejected');
    answer(layer, user, rejected, 486);
    scheduler.advance(64 * T1);
    expect(layer.hasServerFor(rejected)).toBe(false);
  });
});
