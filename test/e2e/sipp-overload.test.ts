/**
 * Issue 11: a short burst above what one thread carries, from SIPp through the real CLI to two
 * healthy SIPp UAS. Whatever the machine manages, no destination may go down: traffic marks are
 * bounded by the rules, and shedding answers what cannot be carried. No timing is asserted; the
 * load is bounded (a fixed number of calls) and everything runs on 127.0.0.1.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSipp, freeLoopbackPort, runSippUac, sippScenario, startSippUas, type SippProcess } from '../support/sipp.js';
import { metricValue, startSipdispatch, type SipdispatchProcess } from '../support/sipdispatch-process.js';

const sipp = findSipp();
if (!sipp && process.env.CI === 'true') throw new Error('SIPp (Debian sip-tester) is required under CI=true: apt-get install sip-tester');
if (!sipp) console.warn('SKIPPED: SIPp overload test needs SIPp (apt-get install sip-tester)');

/**
 * 30,000 calls offered at 6,000/s for 5 s: above one thread's capacity on the 2-core CI machine (the
 * relay before issue 11 marked both backends down and failed about a third of these calls).
 */
const CALLS = 30000;
const RATE = 6000;

describe.skipIf(!sipp)('an overload burst through sipdispatch', () => {
  const started: Array<SippProcess | SipdispatchProcess> = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  it('udp: marks no healthy destination down', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sipdispatch-overload-'));
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freeLoopbackPort();
      started.push(await startSippUas({ port, scenario: sippScenario('uas'), transport: 'udp', cwd }));
      ports.push(port);
    }
    const list = ports.map((port, i) => `1 sip:127.0.0.1:${port} 8 0 duid=fs${i + 1}`).join('\n') + '\n';
    // A short fr_timer makes timeouts (and so the old mark-on-first-timeout) as likely as it gets.
    const proxy = await startSipdispatch({ list, config: 'ds_ping_interval: 1\nfr_timer: 1000\n', transports: ['udp'] });
    started.push(proxy);

    const r = await runSippUac({ target: `127.0.0.1:${proxy.sipPort}`, scenario: sippScenario('uac'), calls: CALLS, rate: RATE, limit: CALLS, transport: 'udp', timeoutSec: 90, cwd });
    const m = await proxy.metrics();
    const shed = ['pressure', 'late', 'full'].reduce((sum, reason) => sum + metricValue(m, 'sipdispatch_shed_requests_total', { method: 'INVITE', reason }), 0);
    console.info(`overload burst: ${r.successful} calls carried, ${r.failed} failed, ${shed} INVITEs shed with 503`);
    console.info(proxy.output().split("\n").filter((l) => l.includes("overload")).join("\n"));

    expect(r.successful + r.failed, r.errors).toBe(CALLS);
    for (const port of ports) expect(metricValue(m, 'sipdispatch_destination_up', { set: '1', uri: `sip:127.0.0.1:${port}` }), `127.0.0.1:${port}`).toBe(1);
    expect(metricValue(m, 'sipdispatch_traffic_marks_total', { set: '1', cause: 'timeout', result: 'marked' })).toBe(0);
    const changes = proxy.output().split('\n').filter((l) => l.includes('"msg":"destination state changed"') || l.includes('"msg":"destination marked down by traffic"'));
    expect(changes).toEqual([]);
  }, 180_000);
});
