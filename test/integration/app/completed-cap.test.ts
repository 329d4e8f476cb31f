/**
 * max_completed_transactions through the whole program (runApp) on loopback: answered requests
 * beyond the cap end early, are counted on /metrics, and a late retransmission of one ended early
 * reaches the farm again, while one still waiting is absorbed.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApp, type RunningApp } from '../../../src/app/run.js';
import { SipPeer, responseTo } from '../../support/sip-peer.js';
import { metricValue } from '../../support/sipdispatch-process.js';
import { loopbackAppConfig } from '../../support/test-proxy.js';

function options(port: number, n: number): string {
  return [
    `OPTIONS sip:100${n}@example.com SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-cap-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@example.com>;tag=a-${n}`,
    `To: <sip:100${n}@example.com>`,
    `Call-ID: cap-${n}@test`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('max_completed_transactions end to end', () => {
  let app: RunningApp;
  let farm: SipPeer, uac: SipPeer;
  let sipPort = 0;
  const seenByFarm = (n: number): number => farm.received.filter((r) => r.msg.kind === 'request' && r.msg.callId === `cap-${n}@test`).length;
  const answersTo = (n: number): number => uac.received.filter((r) => r.msg.kind === 'response' && r.msg.callId === `cap-${n}@test`).length;

  beforeAll(async () => {
    [farm, uac] = [await SipPeer.udp(), await SipPeer.udp()];
    farm.onRequest((req, from) => void farm.reply(from, responseTo(req, 200, 'OK', { toTag: 'farm' })));
    const { config } = await loopbackAppConfig('sipdispatch-completed-cap-', `1 sip:127.0.0.1:${farm.port} 0 0\n`, {
      scanner_silence: false,
      pike_enabled: false,
      workers: 1,
      // each answered OPTIONS leaves two: the server transaction (Timer J) and the client one (K)
      max_completed_transactions: 4,
      wait_timer: 60_000,
      t4: 60_000,
    });
    app = await runApp(config, pino({ level: 'silent' }));
    sipPort = app.core.transport.addresses()[0]!.port;
    for (const n of [1, 2, 3, 4]) {
      await uac.send(options(uac.port, n), sipPort);
      await uac.waitFor((r) => r.msg.kind === 'response' && r.msg.callId === `cap-${n}@test`);
    }
  });

  afterAll(async () => {
    await app?.stop();
    await Promise.all([farm, uac].map((p) => p?.close()));
  });

  it('ends the oldest answered transactions beyond the cap and counts them', async () => {
    const text = await (await fetch(`http://127.0.0.1:${app.http.port}/metrics`)).text();
    expect(metricValue(text, 'sipdispatch_transactions_completed_evicted_total', {})).toBe(4);
    expect(app.core.transactions.completedCount).toBe(4);
  });

  it('forwards a late retransmission of a request ended early again; absorbs one still waiting', async () => {
    await uac.send(options(uac.port, 4), sipPort);
    await uac.waitFor(() => answersTo(4) === 2);
    expect(seenByFarm(4)).toBe(1);
    await uac.send(options(uac.port, 1), sipPort);
    await uac.waitFor(() => answersTo(1) === 2);
    expect(seenByFarm(1)).toBe(2);
  });
});
