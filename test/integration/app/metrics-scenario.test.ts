/**
 * The whole program in-process (runApp) on loopback: a scripted scenario — calls, a failover, a
 * destination set down, a reload, a bad datagram — and the exact /metrics values it must produce.
 */
import { createSocket } from 'node:dgram';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApp, type RunningApp } from '../../../src/app/run.js';
import { SipPeer, inviteFrom, responseTo } from '../../support/sip-peer.js';
import { metricValue } from '../../support/sipdispatch-process.js';
import { loopbackAppConfig } from '../../support/test-proxy.js';

const invite = (uac: SipPeer, n: number): string => inviteFrom(uac.port, `metrics-${n}@test`, `100${n}`);

describe('metrics after a scripted scenario', () => {
  let app: RunningApp;
  let busy: SipPeer, good: SipPeer, uac: SipPeer;
  let text = '';

  beforeAll(async () => {
    [busy, good, uac] = [await SipPeer.udp(), await SipPeer.udp(), await SipPeer.udp()];
    busy.onRequest((req, from) => {
      if (req.method === 'INVITE') void busy.reply(from, responseTo(req, 503, 'Service Unavailable', { toTag: 'b' }));
    });
    good.onRequest((req, from) => {
      if (req.method === 'INVITE') void good.reply(from, responseTo(req, 200, 'OK', { toTag: 'g', contact: `<sip:fs@127.0.0.1:${good.port}>` }));
    });
    // Priority puts `busy` first, so algorithm 8 always tries it and fails over to `good`.
    const list = `1 sip:127.0.0.1:${busy.port} 0 10 duid=busy\n1 sip:127.0.0.1:${good.port} 0 5 duid=good\n`;
    const loaded = await loopbackAppConfig('sipdispatch-metrics-', list, {
      routes: [{ set: 1, algorithm: 8 }],
      workers: 1,
    });
    app = await runApp(loaded.config, pino({ level: 'silent' }));
    const sipPort = app.core.transport.addresses()[0]!.port;

    for (const n of [1, 2, 3]) {
      await uac.send(invite(uac, n), sipPort);
      await uac.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 200 && r.msg.callId === `metrics-${n}@test`);
    }
    // A datagram that is not SIP.
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.send('garbage\r\n\r\n', sipPort, '127.0.0.1', () => resolve()));
    sock.close();
    // The busy destination is drained, then the list is reloaded (the drain survives it).
    const rpc = await fetch(`http://127.0.0.1:${app.http.port}/RPC`, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', method: 'dispatcher.set_state', params: ['d', 1, `sip:127.0.0.1:${busy.port}`], id: 1 }),
    });
    expect(((await rpc.json()) as { result: string }).result).toBe('Ok. Dispatcher state updated.');
    expect((await fetch(`http://127.0.0.1:${app.http.port}/reload`, { method: 'POST' })).status).toBe(200);
    await uac.send(invite(uac, 4), sipPort);
    await uac.waitFor((r) => r.msg.kind === 'response' && r.msg.status === 200 && r.msg.callId === 'metrics-4@test');
    text = await (await fetch(`http://127.0.0.1:${app.http.port}/metrics`)).text();
  });

  afterAll(async () => {
    await app?.stop();
    await Promise.all([busy, good, uac].map((p) => p?.close()));
  });

  const busyUri = () => `sip:127.0.0.1:${busy.port}`;
  const goodUri = () => `sip:127.0.0.1:${good.port}`;

  it('counts requests, relayed requests and responses', () => {
    expect(metricValue(text, 'sipdispatch_requests_total', { method: 'INVITE' })).toBe(4);
    expect(metricValue(text, 'sipdispatch_requests_total', { method: 'BYE' })).toBe(0);
    // The busy destination's 503 carried no Retry-After: each counts towards
    // traffic_failure_threshold (5), so three calls leave it up and each fails over to the good one.
    expect(metricValue(text, 'sipdispatch_relayed_requests_total', { set: '1', uri: busyUri(), method: 'INVITE' })).toBe(3);
    expect(metricValue(text, 'sipdispatch_relayed_requests_total', { set: '1', uri: goodUri(), method: 'INVITE' })).toBe(4);
    expect(metricValue(text, 'sipdispatch_responses_total', { class: '2xx' })).toBe(4);
  });

  it('counts the failovers by reason', () => {
    expect(metricValue(text, 'sipdispatch_failovers_total', { set: '1', reason: 'response-5xx' })).toBe(3);
    expect(metricValue(text, 'sipdispatch_traffic_marks_total', { set: '1', cause: 'response-503', result: 'marked' })).toBe(0);
    expect(metricValue(text, 'sipdispatch_failovers_total', { set: '1', reason: 'timeout' })).toBe(0);
  });

  it('shows the drained destination down, with its state letters, after the reload', () => {
    expect(metricValue(text, 'sipdispatch_destination_up', { set: '1', uri: busyUri() })).toBe(0);
    expect(metricValue(text, 'sipdispatch_destination_state', { set: '1', uri: busyUri(), state: 'DX' })).toBe(1);
    expect(metricValue(text, 'sipdispatch_destination_up', { set: '1', uri: goodUri() })).toBe(1);
  });

  it('counts reloads, parse errors and drops', () => {
    expect(metricValue(text, 'sipdispatch_reloads_total', { result: 'success' })).toBe(2);
    expect(metricValue(text, 'sipdispatch_reloads_total', { result: 'failure' })).toBe(0);
    expect(metricValue(text, 'sipdispatch_last_reload_timestamp_seconds')).toBeGreaterThan(1.7e9);
    expect(metricValue(text, 'sipdispatch_parse_errors_total', { transport: 'udp' })).toBe(1);
    expect(metricValue(text, 'sipdispatch_parse_errors_total', { transport: 'tcp' })).toBe(0);
    expect(metricValue(text, 'sipdispatch_dropped_total', { reason: 'malformed' })).toBe(1);
  });
});
