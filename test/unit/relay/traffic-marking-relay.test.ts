import { describe, expect, it } from 'vitest';
import { relayHarness, request, responseTo, type RelayHarness } from './traffic-relay-harness.js';

/** Every request to the first entry (algorithm 8: the last line of equal priority, 5071), one try: each call is one transaction toward 5071. */
const FIRST_ONLY = { routes: [{ set: 1, algorithm: 8, failover: { max_tries: 1 } }] };
/** Round robin with failover to the other entry on timeout. */
const WITH_FAILOVER = { routes: [{ set: 1, algorithm: 4, failover: { on: [408, 503], max_tries: 2 } }] };

/** A call whose INVITE the farm never answers: runs every timer (Timer B, failover, Timer B). */
function timedOutCall(h: RelayHarness, callId: string, during?: () => void): void {
  h.receive(request('INVITE', callId));
  during?.();
  h.scheduler.advance(100_000);
  h.take();
}

describe('traffic marking through the relay (ManualScheduler, no sleeps)', () => {
  it('N-1 timed-out transactions do not mark, the N-th does; a 2xx in between resets the count', async () => {
    const h = await relayHarness([5072, 5071], FIRST_ONLY);
    for (let i = 0; i < 4; i++) timedOutCall(h, `t${i}`);
    expect(h.states()).toEqual(['5071:AX', '5072:AX']);
    h.receive(request('INVITE', 'ok'));
    const [invite] = h.take();
    h.receive(responseTo(invite!, 200, 'OK'), { address: '127.0.0.1', port: 5071 });
    for (let i = 0; i < 4; i++) timedOutCall(h, `u${i}`);
    expect(h.states()).toEqual(['5071:AX', '5072:AX']);
    timedOutCall(h, 'u4');
    expect(h.states()).toEqual(['5071:IP', '5072:AX']);
  });

  it('503 without Retry-After counts, 503 with Retry-After and other answers reset', async () => {
    const h = await relayHarness([5072, 5071], FIRST_ONLY);
    const answer = (callId: string, status: number, reason: string, extra: string[] = []) => {
      h.receive(request('MESSAGE', callId));
      const [req] = h.take();
      h.receive(responseTo(req!, status, reason, extra), { address: '127.0.0.1', port: 5071 });
      h.take();
    };
    for (let i = 0; i < 4; i++) answer(`a${i}`, 503, 'Service Unavailable');
    answer('ra', 503, 'Service Unavailable', ['Retry-After: 10']);
    for (let i = 0; i < 4; i++) answer(`b${i}`, 503, 'Service Unavailable');
    answer('busy', 486, 'Busy Here');
    for (let i = 0; i < 4; i++) answer(`c${i}`, 503, 'Service Unavailable');
    expect(h.states()).toEqual(['5071:AX', '5072:AX']);
    answer('c4', 503, 'Service Unavailable');
    expect(h.states()).toEqual(['5071:IP', '5072:AX']);
  });

  it('a burst of timeouts on a healthy farm takes down at most one of two, never both', async () => {
    const h = await relayHarness([5071, 5072], WITH_FAILOVER);
    for (let i = 0; i < 40; i++) timedOutCall(h, `x${i}`);
    expect(h.states().filter((s) => s.endsWith('IP'))).toHaveLength(1);
    expect(h.states().filter((s) => s.endsWith('AX'))).toHaveLength(1);
  });

  it('the last destination is never marked by traffic', async () => {
    const h = await relayHarness([5071]);
    for (let i = 0; i < 20; i++) timedOutCall(h, `y${i}`);
    expect(h.states()).toEqual(['5071:AX']);
  });

  it('timeouts while sipdispatch was under pressure during the wait do not count', async () => {
    const h = await relayHarness([5072, 5071], FIRST_ONLY);
    // pressure seen by a sample while the transaction waited (the epoch moved)
    for (let i = 0; i < 10; i++) timedOutCall(h, `p${i}`, () => h.pressure.epoch++);
    // still under pressure when the timer fires
    h.pressure.pressured = true;
    for (let i = 0; i < 10; i++) timedOutCall(h, `q${i}`);
    expect(h.states()).toEqual(['5071:AX', '5072:AX']);
    h.pressure.pressured = false;
    for (let i = 0; i < 5; i++) timedOutCall(h, `r${i}`);
    expect(h.states()).toEqual(['5071:IP', '5072:AX']);
  });
});
