/**
 * Every query of grafana/dashboards/sipdispatch.json, evaluated by a real Prometheus.
 *
 * Needs `prometheus` on PATH (Debian package `prometheus`): without it the suite is skipped with a
 * message, except under CI=true where that is a failure.
 *
 * 1. Syntax: Prometheus parses and evaluates every expression (its scrape target here is a plain
 *    prom-client registry on loopback, so scraping, readiness and polling are exercised too).
 * 2. Data: the built CLI carries SIPp calls over three destinations (one answering, one answering
 *    503 so calls fail over, one down), gets a reload and a malformed datagram, and every
 *    expression returns at least one series.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExpressions } from '../support/dashboard-queries.js';
import { prometheusOnPath, startPrometheus } from '../support/start-prometheus.js';
import type { RunningPrometheus } from '../support/start-prometheus.js';
import { startSipdispatch, type SipdispatchProcess } from '../support/sipdispatch-process.js';
import { findSipp, freeLoopbackPort, runSippUac, sippScenario, startSippUas, type SippProcess } from '../support/sipp.js';

/** Four 1 s scrapes fit in it, as Grafana's $__rate_interval guarantees. */
const RATE_INTERVAL = '10s';
const SCRAPES_BEFORE_QUERYING = 4;

const havePrometheus = prometheusOnPath();
const inCi = process.env['CI'] === 'true';
const sipp = findSipp();

if (!havePrometheus && !inCi) console.warn('[prometheus-dashboard] SKIPPED: no `prometheus` on PATH (apt-get install prometheus)');
if (havePrometheus && !sipp) {
  if (inCi) throw new Error('SIPp (Debian sip-tester) is required under CI=true');
  console.warn('[prometheus-dashboard] data checks SKIPPED: no SIPp (apt-get install sip-tester)');
}

describe.runIf(!havePrometheus && inCi)('prometheus-dashboard prerequisites', () => {
  it('has prometheus on PATH in CI', () => {
    expect.fail('`prometheus` is not on PATH: .ci/run must apt-get install prometheus');
  });
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sipdispatch-prom-'));
}

describe.runIf(havePrometheus)('every dashboard expression parses in Prometheus', () => {
  let dir = '';
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const exporter = createServer((_req, res) => {
    void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
  });
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    dir = tempDir();
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    const { port } = exporter.address() as AddressInfo;
    prometheus = await startPrometheus({ scrapeTarget: `127.0.0.1:${port}`, dir });
    await prometheus.waitForScrapes(2);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    exporter.closeAllConnections();
    await new Promise<void>((resolve) => exporter.close(() => resolve()));
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('listens on loopback only', () => {
    expect(new URL(prometheus!.url).hostname).toBe('127.0.0.1');
  });

  it('scraped the target', async () => {
    const [up] = await prometheus!.queryAll([{ panel: 'up', expr: 'up{job="sipdispatch"} == 1' }]);
    expect(up).toMatchObject({ error: null, series: 1 });
  });

  it('rejects a malformed expression (the check can fail)', async () => {
    const [bad] = await prometheus!.queryAll([{ panel: 'bad', expr: 'sum(rate(up[1m])' }]);
    expect(bad?.error).toMatch(/parse error/);
  });

  it('evaluates every panel expression without error', async () => {
    const outcomes = await prometheus!.queryAll(dashboardExpressions({ rateInterval: RATE_INTERVAL }));
    expect(outcomes.length).toBeGreaterThan(15);
    expect(outcomes.filter((o) => o.error !== null).map((o) => `${o.panel}: ${o.error}`)).toEqual([]);
  });
});

describe.runIf(havePrometheus && sipp !== undefined)('every dashboard panel has data from sipdispatch carrying SIPp traffic', () => {
  let dir = '';
  let prometheus: RunningPrometheus | undefined;
  const started: Array<SippProcess | SipdispatchProcess> = [];

  beforeAll(async () => {
    dir = tempDir();
    // One backend answers, one answers 503 (calls fail over from it), one is down (nothing listens).
    const [good, busy, down] = [await freeLoopbackPort(), await freeLoopbackPort(), await freeLoopbackPort()];
    started.push(await startSippUas({ port: good, scenario: sippScenario('uas'), cwd: dir }));
    started.push(await startSippUas({ port: busy, scenario: sippScenario('uas-503'), cwd: dir }));
    const list = [good, busy, down].map((p, i) => `1 sip:127.0.0.1:${p} 8 0 duid=fs${i + 1}`).join('\n') + '\n';
    const proxy = await startSipdispatch({ list, config: 'ds_ping_interval: 1\nds_ping_fr_timer: 500\nfr_timer: 500\n' });
    started.push(proxy);
    prometheus = await startPrometheus({ scrapeTarget: `127.0.0.1:${proxy.httpPort}`, dir });
    await fetch(`http://127.0.0.1:${proxy.httpPort}/reload`, { method: 'POST' });
    // A datagram that is not SIP: counted as a parse error and a drop.
    const sock = createSocket('udp4');
    await new Promise<void>((resolve) => sock.send('not sip\r\n\r\n', proxy.sipPort, '127.0.0.1', () => resolve()));
    sock.close();
    const calls = await runSippUac({ target: `127.0.0.1:${proxy.sipPort}`, scenario: sippScenario('uac'), calls: 300, rate: 50, limit: 50, transport: 'udp', timeoutSec: 60, cwd: dir, holdMs: 500 });
    expect(calls.successful, calls.errors).toBe(300);
    await prometheus.waitForScrapes(SCRAPES_BEFORE_QUERYING);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(started.splice(0).map((p) => p.stop()));
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes sipdispatch successfully', async () => {
    const [up] = await prometheus!.queryAll([{ panel: 'up', expr: 'up{job="sipdispatch"} == 1' }]);
    expect(up).toMatchObject({ error: null, series: 1 });
  });

  it('returns at least one series for every expression', async () => {
    const outcomes = await prometheus!.queryAll(dashboardExpressions({ rateInterval: RATE_INTERVAL }));
    expect(outcomes.filter((o) => o.error !== null || o.series === 0).map((o) => `${o.panel}: ${o.error ?? 'no data'} (${o.expr})`)).toEqual([]);
  });
});
