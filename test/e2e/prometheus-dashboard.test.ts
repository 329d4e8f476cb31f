/**
 * Every query of grafana/dashboards/sipdispatch.json, evaluated by a real Prometheus.
 *
 * Needs `prometheus` on PATH (Debian package `prometheus`): without it the suite is skipped with a
 * message, except under CI=true where that is a failure.
 *
 * 1. Syntax: Prometheus parses and evaluates every expression (its scrape target here is a plain
 *    prom-client registry on loopback, so scraping, readiness and polling are exercised too).
 * 2. Data: against a running sipdispatch that has carried traffic, every expression returns at
 *    least one series. The sipdispatch start-up and SIPp traffic come from the shared helper in
 *    test/support/ once it lands; until then set SIPDISPATCH_METRICS_TARGET=host:port (and
 *    SIPDISPATCH_ADMIN_TOKEN if the admin API has one) to point this suite at a live instance.
 */
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

/** Four 1 s scrapes fit in it, as Grafana's $__rate_interval guarantees. */
const RATE_INTERVAL = '10s';
const SCRAPES_BEFORE_QUERYING = 4;

const havePrometheus = prometheusOnPath();
const inCi = process.env['CI'] === 'true';
const sipdispatchTarget = process.env['SIPDISPATCH_METRICS_TARGET'];

if (!havePrometheus && !inCi) console.warn('[prometheus-dashboard] SKIPPED: no `prometheus` on PATH (apt-get install prometheus)');
if (havePrometheus && sipdispatchTarget === undefined) {
  console.warn('[prometheus-dashboard] data checks SKIPPED: no running sipdispatch (SIPDISPATCH_METRICS_TARGET unset)');
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

describe.runIf(havePrometheus && sipdispatchTarget !== undefined)('every dashboard panel has data from a running sipdispatch', () => {
  let dir = '';
  let prometheus: RunningPrometheus | undefined;

  beforeAll(async () => {
    dir = tempDir();
    const token = process.env['SIPDISPATCH_ADMIN_TOKEN'];
    prometheus = await startPrometheus({ scrapeTarget: sipdispatchTarget!, dir, ...(token ? { bearerToken: token } : {}) });
    await prometheus.waitForScrapes(SCRAPES_BEFORE_QUERYING);
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
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
