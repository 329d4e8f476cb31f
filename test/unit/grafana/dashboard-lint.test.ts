import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { dashboardExpressions, dashboardPanels, loadDashboard, resolveVariables } from '../../support/dashboard-queries.js';
import type { DashboardPanel, DatasourceRef } from '../../support/dashboard-queries.js';
import { CONTRACT_METRICS, seriesCatalog } from '../../support/metric-catalog.js';
import { scanPromql } from '../../support/promql-scan.js';

const DS_VAR = '${DS_PROMETHEUS}';
const GRID_COLUMNS = 24;
/** What Grafana 12 writes; the last schema of the classic (v1) dashboard JSON. */
const SCHEMA_VERSION = 42;

const dashboard = loadDashboard();
const panels = dashboardPanels(dashboard);
const queryPanels = panels.filter((p) => p.type !== 'row');
const catalog = seriesCatalog();

/** Problems with one expression and its legend, judged against the metric catalog. */
function lintExpression(expr: string, legend = ''): string[] {
  const scan = scanPromql(expr);
  const errors = [...scan.errors];
  if (scan.selectors.length === 0) errors.push('selects no metric');
  const known = new Set<string>();
  for (const s of scan.selectors) {
    const labels = catalog.get(s.metric);
    if (!labels) {
      errors.push(`unknown metric '${s.metric}'`);
      continue;
    }
    labels.forEach((l) => known.add(l));
    for (const l of s.labels) if (!labels.has(l)) errors.push(`'${s.metric}' has no label '${l}'`);
  }
  for (const l of scan.groupingLabels) if (!known.has(l)) errors.push(`grouping label '${l}' is on none of its metrics`);
  for (const [, l] of legend.matchAll(/\{\{\s*(\w+)\s*\}\}/g)) if (!known.has(l!)) errors.push(`legend label '${l}' is on none of its metrics`);
  return errors;
}

function overlaps(a: DashboardPanel, b: DashboardPanel): boolean {
  const p = a.gridPos!;
  const q = b.gridPos!;
  return p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
}

const isDsVariable = (ds: DatasourceRef | string | null | undefined): boolean =>
  typeof ds === 'object' && ds !== null && ds.uid === DS_VAR && ds.type === 'prometheus';

describe('the lint catches what it should (so it can fail)', () => {
  it.each([
    ['sum(rate(sipdispatch_requests_total[1m])', 'unclosed'],
    ['sum(rate(sipdispatch_requests_total[1m)))', 'unbalanced'],
    ['rate(sipdispatch_request_total[1m])', "unknown metric 'sipdispatch_request_total'"],
    ['sipdispatch_requests_total{uri="x"}', "has no label 'uri'"],
    ['sum by (uri) (sipdispatch_requests_total)', "grouping label 'uri'"],
    ['sipdispatch_requests_total{method~"INVITE"}', 'bad label matcher'],
    ['ratee(sipdispatch_requests_total[1m])', "unknown function 'ratee'"],
    ['{__name__="sipdispatch_requests_total"}', 'without a metric name'],
  ])('%s', (expr, problem) => {
    expect(lintExpression(expr).join('; ')).toContain(problem);
  });

  it('checks legend labels too', () => {
    expect(lintExpression('sum by (method) (sipdispatch_requests_total)', '{{uri}}')).toEqual([
      "legend label 'uri' is on none of its metrics",
    ]);
  });

  it('accepts a histogram quantile over the contract labels', () => {
    const expr = 'histogram_quantile(0.95, sum by (set, uri, le) (rate(sipdispatch_probe_duration_seconds_bucket{set=~".*"}[1m])))';
    expect(lintExpression(expr, '{{set}} {{uri}}')).toEqual([]);
  });
});

describe('grafana/dashboards/sipdispatch.json', () => {
  it('has a stable uid and the pinned schema version', () => {
    expect(dashboard.uid).toBe('sipdispatch');
    expect(dashboard.schemaVersion).toBe(SCHEMA_VERSION);
  });

  it('declares DS_PROMETHEUS as a prometheus data source variable, and set / uri variables', () => {
    const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
    expect(vars.get('DS_PROMETHEUS')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['set', 'uri']) {
      const v = vars.get(name);
      expect(v, name).toMatchObject({ type: 'query', allValue: '.*' });
      expect(isDsVariable(v!.datasource), `${name} datasource`).toBe(true);
    }
  });

  it('has variable queries over contract metrics and labels', () => {
    const queries = dashboard.templating.list.filter((v) => v.type === 'query');
    for (const v of queries) {
      const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const hit = /^label_values\((.+),\s*(\w+)\)$/.exec(q);
      expect(hit, q).not.toBeNull();
      expect(lintExpression(resolveVariables(hit![1]!)), q).toEqual([]);
      expect(catalog.get(/^\w+/.exec(hit![1]!)![0])?.has(hit![2]!), q).toBe(true);
    }
  });

  it('gives every panel a unique id and a title', () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) expect(p.title?.trim(), `panel ${p.id}`).toBeTruthy();
  });

  it('lays panels inside the 24-column grid without overlaps', () => {
    for (const p of panels) {
      const g = p.gridPos!;
      expect(g.w > 0 && g.h > 0 && g.x >= 0 && g.y >= 0 && g.x + g.w <= GRID_COLUMNS, `${p.title} ${JSON.stringify(g)}`).toBe(true);
    }
    const clashes = panels.flatMap((a, i) => panels.slice(i + 1).filter((b) => overlaps(a, b)).map((b) => `${a.title} / ${b.title}`));
    expect(clashes).toEqual([]);
  });

  it('points every panel and every target at the DS_PROMETHEUS variable', () => {
    for (const p of queryPanels) {
      expect(isDsVariable(p.datasource), `${p.title}`).toBe(true);
      expect(p.targets?.length, `${p.title} targets`).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(isDsVariable(t.datasource), `${p.title} ${t.refId}`).toBe(true);
    }
  });

  it('names no data source by a fixed uid anywhere', () => {
    const uids = [...readFileSync(new URL('../../../grafana/dashboards/sipdispatch.json', import.meta.url), 'utf8').matchAll(/"uid":\s*"([^"]*)"/g)].map((m) => m[1]);
    expect(uids.filter((u) => u !== DS_VAR && u !== 'sipdispatch')).toEqual([]);
  });

  it('gives targets unique refIds within a panel', () => {
    for (const p of queryPanels) {
      const refs = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refs).size, `${p.title}`).toBe(refs.length);
    }
  });

  it('uses only known metrics, functions and labels in every expression and legend', () => {
    const problems = queryPanels.flatMap((p) =>
      (p.targets ?? []).flatMap((t) => lintExpression(resolveVariables(t.expr ?? ''), t.legendFormat).map((e) => `${p.title} [${t.refId}]: ${e}`)),
    );
    expect(problems).toEqual([]);
  });

  it('shows every contract metric somewhere', () => {
    const used = new Set(dashboardExpressions().flatMap(({ expr }) => scanPromql(expr).selectors.map((s) => s.metric)));
    const family = (series: string) => series.replace(/_(bucket|sum|count)$/, '');
    const shown = new Set([...used].flatMap((m) => [m, family(m)]));
    expect(CONTRACT_METRICS.map((m) => m.name).filter((n) => !shown.has(n))).toEqual([]);
  });

  it('shows process CPU, memory and event-loop lag', () => {
    const used = dashboardExpressions().map((e) => e.expr).join('\n');
    for (const m of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']) expect(used).toContain(m);
  });
});

describe('dashboardExpressions()', () => {
  it('resolves every variable to a concrete value', () => {
    const exprs = dashboardExpressions({ set: '1', uri: 'sip:127.0.0.1:5081', rateInterval: '10s' });
    expect(exprs.length).toBeGreaterThan(15);
    expect(exprs.filter((e) => e.expr.includes('$'))).toEqual([]);
    expect(exprs.some((e) => e.expr.includes('set=~"1"') && e.expr.includes('[10s]'))).toBe(true);
  });
});

describe('grafana provisioning and scrape example', () => {
  const read = (p: string) => parseYaml(readFileSync(new URL(`../../../grafana/${p}`, import.meta.url), 'utf8')) as Record<string, unknown>;

  it('provisions one default Prometheus data source', () => {
    const doc = read('provisioning/datasources/prometheus.yaml') as { apiVersion: number; datasources: Array<Record<string, unknown>> };
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toEqual([expect.objectContaining({ type: 'prometheus', access: 'proxy', isDefault: true })]);
  });

  it('provisions the dashboards folder that docker-compose.yml mounts', () => {
    const doc = read('provisioning/dashboards/sipdispatch.yaml') as { apiVersion: number; providers: Array<{ type: string; options: { path: string } }> };
    expect(doc.apiVersion).toBe(1);
    const compose = readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8');
    expect(doc.providers[0]?.type).toBe('file');
    expect(compose).toContain(`./grafana/dashboards:${doc.providers[0]?.options.path}`);
  });

  it('scrapes sipdispatch on 127.0.0.1:9060 at /metrics', () => {
    const doc = read('prometheus.yml') as { scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }> };
    const job = doc.scrape_configs.find((j) => j.job_name === 'sipdispatch');
    expect(job?.metrics_path ?? '/metrics').toBe('/metrics');
    expect(job?.static_configs[0]?.targets).toEqual(['127.0.0.1:9060']);
  });
});
