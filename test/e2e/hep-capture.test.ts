/**
 * HEP export end to end: SIPp calls through the real CLI with `hep.collector` set; every message
 * of each call reaches the collector twice, as received and as sent, with the addresses on the
 * wire and microsecond times that order the two legs. `siptrace.status` switches capture; a
 * collector that is not there costs no call.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecodedHep } from '../support/hep-decoder.js';
import { startHepCollector, type TestCollector } from '../support/hep-collector.js';
import { findSipp, freeLoopbackPort, runSippUac, sippScenario, startSippUas, type SippProcess } from '../support/sipp.js';
import { metricValue, startSipdispatch, waitFor, type SipdispatchProcess } from '../support/sipdispatch-process.js';

const sipp = findSipp();
if (!sipp && process.env.CI === 'true') throw new Error('SIPp (Debian sip-tester) is required under CI=true: apt-get install sip-tester');
if (!sipp) console.warn('SKIPPED: HEP end-to-end tests need SIPp (apt-get install sip-tester)');

const CAPTURE_ID = 31337;
const time = (p: DecodedHep) => p.seconds * 1_000_000 + p.micros;
const callIdOf = (p: DecodedHep) => /\r\n(?:Call-ID|i)\s*:\s*(\S+)/i.exec(p.payload)?.[1] ?? '';
const firstLine = (p: DecodedHep) => p.payload.slice(0, p.payload.indexOf('\r\n'));
const cseqMethod = (p: DecodedHep) => /\r\nCSeq\s*:\s*\d+\s+(\w+)/i.exec(p.payload)?.[1] ?? '';
/** "INVITE", "ACK", "BYE" for requests; "200 INVITE", "180 INVITE", "200 BYE" for responses. */
const kind = (p: DecodedHep) => (p.payload.startsWith('SIP/2.0 ') ? `${firstLine(p).split(' ')[1]} ${cseqMethod(p)}` : firstLine(p).split(' ')[0]!);

describe.skipIf(!sipp)('HEP v3 capture through sipdispatch', () => {
  const started: Array<SippProcess | SipdispatchProcess | TestCollector> = [];
  afterEach(async () => {
    for (const p of started.splice(0).reverse()) await ('stop' in p ? p.stop() : p.close());
  });

  async function setup(collectorPort?: number, transport: 'udp' | 'tcp' = 'udp') {
    const cwd = mkdtempSync(join(tmpdir(), 'sipdispatch-hep-'));
    const collector = collectorPort === undefined ? await startHepCollector() : undefined;
    if (collector) started.push(collector);
    const uasPort = await freeLoopbackPort();
    started.push(await startSippUas({ port: uasPort, scenario: sippScenario('uas'), cwd, transport }));
    const proxy = await startSipdispatch({
      list: `1 sip:127.0.0.1:${uasPort}${transport === 'tcp' ? ';transport=tcp' : ''} 0 0\n`,
      transports: [transport],
      config: `ds_ping_interval: 0\nhep:\n  collector: udp:127.0.0.1:${collectorPort ?? collector!.port}\n  capture_id: ${CAPTURE_ID}\n  node_name: edge-test\n`,
    });
    started.push(proxy);
    return { cwd, collector, uasPort, proxy };
  }

  async function calls(proxy: SipdispatchProcess, cwd: string, count: number, transport: 'udp' | 'tcp' = 'udp') {
    const uacPort = await freeLoopbackPort();
    const r = await runSippUac({ target: `127.0.0.1:${proxy.sipPort}`, scenario: sippScenario('uac'), calls: count, rate: 20, limit: 20, port: uacPort, timeoutSec: 60, cwd, transport });
    expect(r.failed, r.errors).toBe(0);
    expect(r.successful).toBe(count);
    return uacPort;
  }

  it('every INVITE, 200, ACK, BYE and 200 arrives twice, received then sent, with the wire addresses', async () => {
    const { cwd, collector, uasPort, proxy } = await setup();
    const uacPort = await calls(proxy, cwd, 5);
    const uac = { address: '127.0.0.1', port: uacPort };
    const us = { address: '127.0.0.1', port: proxy.sipPort };
    const uas = { address: '127.0.0.1', port: uasPort };
    const byCall = new Map<string, DecodedHep[]>();
    // the last BYE's 200 is sent right after SIPp saw it; give the datagram its moment
    await waitFor(() => collector!.packets.filter((p) => kind(p) === '200 BYE').length >= 10, undefined, 10_000, () => `${collector!.packets.length} packets`);
    expect(collector!.undecodable).toEqual([]);
    for (const p of collector!.packets) {
      expect(p).toMatchObject({ captureId: CAPTURE_ID, protocolType: 1, protocol: 17, family: 2, nodeName: 'edge-test' });
      byCall.set(callIdOf(p), [...(byCall.get(callIdOf(p)) ?? []), p]);
    }
    expect(byCall.size).toBe(5);
    const legs: Array<[string, typeof uac, typeof uac, typeof uac, typeof uac]> = [
      // kind, received from → to, then sent from → to
      ['INVITE', uac, us, us, uas],
      ['200 INVITE', uas, us, us, uac],
      ['ACK', uac, us, us, uas],
      ['BYE', uac, us, us, uas],
      ['200 BYE', uas, us, us, uac],
    ];
    const at = (p: DecodedHep, end: typeof uac, side: 'source' | 'destination') =>
      p[`${side}Address`] === end.address && p[`${side}Port`] === end.port;
    for (const [callId, packets] of byCall) {
      const firsts: number[] = [];
      for (const [k, rFrom, rTo, sFrom, sTo] of legs) {
        const of = packets.filter((p) => kind(p) === k).sort((a, b) => time(a) - time(b));
        // a retransmission on a slow machine adds a packet, never a leg
        const received = of.filter((p) => at(p, rFrom, 'source') && at(p, rTo, 'destination'));
        const sent = of.filter((p) => at(p, sFrom, 'source') && at(p, sTo, 'destination'));
        expect(received.length, `${callId} ${k} received`).toBeGreaterThanOrEqual(1);
        expect(sent.length, `${callId} ${k} sent`).toBeGreaterThanOrEqual(1);
        expect(received.length + sent.length, `${callId} ${k}: every packet is one of the two legs`).toBe(of.length);
        firsts.push(time(received[0]!), time(sent[0]!));
      }
      // wire order: INVITE in, INVITE out, its 200 in, 200 out, ACK in, ACK out, BYE in, …
      expect(firsts, callId).toEqual([...firsts].sort((a, b) => a - b));
      expect(new Set(firsts).size, `${callId}: distinct microsecond times`).toBe(firsts.length);
    }
    expect(metricValue(await proxy.metrics(), 'sipdispatch_hep_packets_sent_total')).toBe(collector!.packets.length);
  }, 90_000);

  it('tcp: both legs captured as TCP, the sent leg from the real local port of our connection to the backend', async () => {
    const { cwd, collector, uasPort, proxy } = await setup(undefined, 'tcp');
    await calls(proxy, cwd, 3, 'tcp');
    await waitFor(() => collector!.packets.filter((p) => kind(p) === '200 BYE').length >= 6, undefined, 10_000, () => `${collector!.packets.length} packets`);
    expect(collector!.packets.every((p) => p.protocol === 6)).toBe(true);
    const inviteOut = collector!.packets.filter((p) => kind(p) === 'INVITE' && p.destinationPort === uasPort);
    const okIn = collector!.packets.filter((p) => kind(p) === '200 INVITE' && p.sourcePort === uasPort);
    expect(inviteOut).toHaveLength(3);
    expect(okIn.length).toBeGreaterThanOrEqual(3);
    // our outbound connection's ephemeral port: what we sent from is where the backend answered to
    const local = new Set(inviteOut.map((p) => p.sourcePort));
    expect(local.has(0)).toBe(false);
    expect(local.has(proxy.sipPort)).toBe(false);
    for (const p of okIn) expect(local.has(p.destinationPort)).toBe(true);
  }, 90_000);

  it('siptrace.status off stops capture at once; on resumes it', async () => {
    const { cwd, collector, proxy } = await setup();
    expect((await proxy.rpc('siptrace.status', ['check'])).result).toBe('Enabled');
    expect((await proxy.rpc('siptrace.status', ['off'])).result).toBe('Disabled');
    await calls(proxy, cwd, 3);
    expect(collector!.packets).toHaveLength(0);
    expect((await proxy.rpc('siptrace.status', ['on'])).result).toBe('Enabled');
    await calls(proxy, cwd, 3);
    await waitFor(() => collector!.packets.filter((p) => kind(p) === '200 BYE').length >= 6, undefined, 10_000, () => `${collector!.packets.length} packets`);
    expect(new Set(collector!.packets.map(callIdOf)).size).toBe(3);
    expect((await proxy.rpc('siptrace.status', ['maybe'])).error?.message).toBe('Bad parameter (on, off or check)');
  }, 90_000);

  it('a collector that is not there: every call succeeds and the lost packets are counted', async () => {
    const nobody = await freeLoopbackPort();
    const { cwd, proxy } = await setup(nobody);
    await calls(proxy, cwd, 200);
    const m = await proxy.metrics();
    const dropped = ['send-error', 'queue-full', 'not-connected'].reduce((sum, reason) => sum + metricValue(m, 'sipdispatch_hep_packets_dropped_total', { reason }), 0);
    expect(dropped).toBeGreaterThan(0);
  }, 120_000);
});
