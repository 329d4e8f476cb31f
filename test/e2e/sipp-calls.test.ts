/**
 * Real calls through the real CLI: SIPp UAC → sipdispatch → two SIPp UAS, over UDP and TCP.
 * Without SIPp the suite skips with a message on a developer's machine, and fails under CI=true.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSipp, freeLoopbackPort, runSippUac, sippScenario, startSippUas, type SippProcess, type SippTransport } from '../support/sipp.js';
import { metricValue, startSipdispatch, type SipdispatchProcess } from '../support/sipdispatch-process.js';

const sipp = findSipp();
if (!sipp && process.env.CI === 'true') throw new Error('SIPp (Debian sip-tester) is required under CI=true: apt-get install sip-tester');
if (!sipp) console.warn('SKIPPED: SIPp end-to-end tests need SIPp (apt-get install sip-tester)');

const CALLS = 1000;
const RATE = 250;

describe.skipIf(!sipp)('SIPp calls through sipdispatch', () => {
  const started: Array<SippProcess | SipdispatchProcess> = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  async function farm(transport: SippTransport, scenarios: Array<'uas' | 'uas-503'>, config = '') {
    const cwd = mkdtempSync(join(tmpdir(), 'sipdispatch-sipp-'));
    const ports: number[] = [];
    const uas: SippProcess[] = [];
    for (const scenario of scenarios) {
      const port = await freeLoopbackPort();
      const p = await startSippUas({ port, scenario: sippScenario(scenario), transport, cwd });
      ports.push(port);
      uas.push(p);
      started.push(p);
    }
    const param = transport === 'tcp' ? ';transport=tcp' : '';
    const list = ports.map((port, i) => `1 sip:127.0.0.1:${port}${param} 8 0 duid=fs${i + 1}`).join('\n') + '\n';
    const proxy = await startSipdispatch({ list, config: `ds_ping_interval: 1\nfr_timer: 1000\n${config}` });
    started.push(proxy);
    return { cwd, ports, uas, proxy };
  }

  const invitesTo = (metrics: string, port: number, transport: SippTransport) =>
    metricValue(metrics, 'sipdispatch_relayed_requests_total', { uri: `sip:127.0.0.1:${port}${transport === 'tcp' ? ';transport=tcp' : ''}`, method: 'INVITE' });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`${transport}: ${CALLS} calls, none failed, split evenly by round robin`, async () => {
      const { cwd, ports, proxy } = await farm(transport, ['uas', 'uas']);
      const r = await runSippUac({ target: `127.0.0.1:${proxy.sipPort}`, scenario: sippScenario('uac'), calls: CALLS, rate: RATE, limit: 200, transport, timeoutSec: 60, cwd });
      expect(r.failed, r.errors).toBe(0);
      expect(r.successful).toBe(CALLS);
      expect(r.exitCode).toBe(0);
      const m = await proxy.metrics();
      const split = ports.map((p) => invitesTo(m, p, transport));
      expect(split[0]! + split[1]!).toBe(CALLS);
      // Round robin alternates strictly: the two shares differ by at most one.
      expect(Math.abs(split[0]! - split[1]!)).toBeLessThanOrEqual(1);
    });
  }

  it('udp: one backend answers 503, every call succeeds on the other', async () => {
    const { cwd, ports, proxy } = await farm('udp', ['uas-503', 'uas']);
    const r = await runSippUac({ target: `127.0.0.1:${proxy.sipPort}`, scenario: sippScenario('uac'), calls: CALLS, rate: RATE, limit: 200, transport: 'udp', timeoutSec: 60, cwd });
    expect(r.failed, r.errors).toBe(0);
    expect(r.successful).toBe(CALLS);
    const m = await proxy.metrics();
    expect(invitesTo(m, ports[1]!, 'udp')).toBe(CALLS);
    expect(metricValue(m, 'sipdispatch_failovers_total', { set: '1', reason: 'response-5xx' })).toBeGreaterThan(0);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`${transport}: one backend stopped, every call succeeds after failover`, async () => {
      const { cwd, ports, uas, proxy } = await farm(transport, ['uas', 'uas']);
      await uas[0]!.stop();
      const r = await runSippUac({ target: `127.0.0.1:${proxy.sipPort}`, scenario: sippScenario('uac'), calls: 200, rate: 50, limit: 100, transport, timeoutSec: 60, cwd });
      expect(r.failed, r.errors).toBe(0);
      expect(r.successful).toBe(200);
      const m = await proxy.metrics();
      expect(invitesTo(m, ports[1]!, transport)).toBe(200);
      // The stopped backend is marked down (by the relay's failures or the probes).
      expect(metricValue(m, 'sipdispatch_destination_up', { uri: `sip:127.0.0.1:${ports[0]}${transport === 'tcp' ? ';transport=tcp' : ''}` })).toBe(0);
    });
  }
});
