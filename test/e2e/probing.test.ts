/**
 * Probing end to end: a SIPp UAS backend is stopped and restarted; sipdispatch's metric
 * sipdispatch_destination_up goes 1 → 0 → 1 and dispatcher.list shows AP → IP → AP.
 * Waits are bounded (generously: no timing assertions); the detection time is interval ×
 * threshold + ping timeout = 1 s × 1 + 0.5 s here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSipp, freeLoopbackPort, sippScenario, startSippUas, type SippProcess } from '../support/sipp.js';
import { metricValue, startSipdispatch, waitFor, type SipdispatchProcess } from '../support/sipdispatch-process.js';

const sipp = findSipp();
if (!sipp && process.env.CI === 'true') throw new Error('SIPp (Debian sip-tester) is required under CI=true: apt-get install sip-tester');

describe.skipIf(!sipp)('probing a SIPp backend', () => {
  const started: Array<SippProcess | SipdispatchProcess> = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  it('marks a stopped backend IP and brings it back AP when it answers again', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sipdispatch-probe-'));
    const port = await freeLoopbackPort();
    const uri = `sip:127.0.0.1:${port}`;
    let uas = await startSippUas({ port, scenario: sippScenario('uas'), cwd });
    started.push(uas);
    const proxy = await startSipdispatch({
      list: `1 ${uri} 8 0 duid=fs1\n`,
      config: 'ds_ping_interval: 1\nds_ping_fr_timer: 500\nds_probing_threshold: 1\nds_inactive_threshold: 1\n',
    });
    started.push(proxy);

    const flags = async () => {
      const r = (await proxy.rpc('dispatcher.list')) as { result: { RECORDS: Array<{ SET: { TARGETS: Array<{ DEST: { URI: string; FLAGS: string } }> } }> } };
      return r.result.RECORDS[0]!.SET.TARGETS.find((t) => t.DEST.URI === uri)!.DEST.FLAGS;
    };
    const up = async () => metricValue(await proxy.metrics(), 'sipdispatch_destination_up', { set: '1', uri });
    const until = (want: { up: number; flags: string }) =>
      waitFor(async () => (await up()) === want.up && (await flags()) === want.flags, undefined, 15_000, () => `wanted ${JSON.stringify(want)}`);

    // Up from the start, and answering its probes (a latency sample exists).
    await until({ up: 1, flags: 'AP' });
    await waitFor(async () => metricValue(await proxy.metrics(), 'sipdispatch_probe_duration_seconds_count', { uri }) > 0, undefined, 15_000, () => 'no probe');

    await uas.stop();
    await until({ up: 0, flags: 'IP' });
    expect(metricValue(await proxy.metrics(), 'sipdispatch_probe_failures_total', { uri })).toBeGreaterThan(0);

    uas = await startSippUas({ port, scenario: sippScenario('uas'), cwd });
    started.push(uas);
    await until({ up: 1, flags: 'AP' });
    expect(proxy.output()).toMatch(/"state":"IP".*"msg":"destination state changed"/);
  });
});
