/**
 * With threads sharing the UDP listeners, requests to the farm leave from the thread's own socket
 * and name its port in the Via (so the farm answers that thread); everything else, and a relay
 * without such a socket, keeps the listener.
 */
import { describe, expect, it } from 'vitest';
import { FR_TIMER } from '../transaction/harness.js';
import { candidate, CALLER, PROXY, RelayHarness } from './relay-harness.js';

const A = candidate('a', 1);
const B = candidate('b', 2);
const OWN = { port: 40123, connectionId: 'udp:192.0.2.1:40123' };

function harness(withOwnSocket: boolean): { h: RelayHarness; asked: string[] } {
  const asked: string[] = [];
  const h = new RelayHarness({}, withOwnSocket ? (address) => (asked.push(address), OWN) : undefined);
  h.dispatcher.candidates = [A, B];
  return { h, asked };
}

describe("requests to the farm from the thread's own socket", () => {
  it('the INVITE, its failover and its CANCEL: own port in the Via, sent on the own socket', () => {
    const { h, asked } = harness(true);
    const invite = h.invite();
    h.advance(FR_TIMER);
    h.answer('198.51.100.2', 180);
    h.cancel(invite);
    const sent = [...h.downstream('INVITE'), ...h.downstream('CANCEL')];
    expect(new Set(sent.map((s) => s.target.host))).toEqual(new Set(['198.51.100.1', '198.51.100.2']));
    for (const { req, target } of sent) {
      expect(req.via[0]).toMatchObject({ host: PROXY.host, port: OWN.port });
      expect(target.connectionId).toBe(OWN.connectionId);
    }
    expect(asked).toEqual(['198.51.100.1', '198.51.100.2']);
  });

  it('a request to an address outside the farm (a caller behind NAT) keeps the listener', () => {
    const { h, asked } = harness(true);
    h.dispatcher.candidates = [{ ...A, host: CALLER.address, port: CALLER.port }];
    h.dispatcher.isFromDestination = () => false;
    h.invite();
    const [sent] = h.transport.sent.filter((s) => s.bytes.toString('latin1').startsWith('INVITE'));
    expect(sent!.target.connectionId).toBeUndefined();
    expect(sent!.bytes.toString('latin1')).toContain(`Via: SIP/2.0/UDP ${PROXY.host}:${PROXY.port};`);
    expect(asked).toEqual([]);
  });

  it('one thread (no own socket): the listener, as before', () => {
    const { h } = harness(false);
    h.invite();
    const [sent] = h.downstream('INVITE');
    expect(sent!.req.via[0]!.port).toBe(PROXY.port);
    expect(sent!.target.connectionId).toBeUndefined();
  });
});
