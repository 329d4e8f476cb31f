/**
 * Reads grafana/dashboards/sipdispatch.json and hands out its panels and PromQL expressions, with
 * Grafana's variables replaced by concrete values so Prometheus can evaluate them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_PATH = fileURLToPath(new URL('../../grafana/dashboards/sipdispatch.json', import.meta.url));

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface DashboardTarget {
  refId?: string;
  expr?: string;
  legendFormat?: string;
  datasource?: DatasourceRef | string | null;
}

export interface DashboardPanel {
  id?: number;
  type: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  datasource?: DatasourceRef | string | null;
  targets?: DashboardTarget[];
  panels?: DashboardPanel[];
  repeat?: string;
}

export interface DashboardVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: DatasourceRef | string | null;
  allValue?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export function loadDashboard(path: string = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Every panel, including those nested in collapsed rows. */
export function dashboardPanels(dashboard: Dashboard = loadDashboard()): DashboardPanel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Concrete values for the dashboard's variables; the defaults are what "All" sends. */
export interface VariableValues {
  set: string;
  uri: string;
  rateInterval: string;
  interval: string;
  range: string;
}

const DEFAULT_VALUES: VariableValues = { set: '.*', uri: '.*', rateInterval: '1m', interval: '15s', range: '1h' };

/** Replace `$name` / `${name}` (and Grafana's `$__…` intervals) with concrete values. */
export function resolveVariables(expr: string, values: Partial<VariableValues> = {}): string {
  const v = { ...DEFAULT_VALUES, ...values };
  const table: Record<string, string> = {
    set: v.set,
    uri: v.uri,
    __rate_interval: v.rateInterval,
    __interval: v.interval,
    __range: v.range,
  };
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => table[braced ?? bare ?? ''] ?? whole);
}

/** Each panel's expressions (one per target), variables resolved. */
export function dashboardExpressions(values: Partial<VariableValues> = {}, dashboard: Dashboard = loadDashboard()): Array<{ panel: string; expr: string }> {
  return dashboardPanels(dashboard).flatMap((p) =>
    (p.targets ?? []).filter((t) => typeof t.expr === 'string' && t.expr.trim() !== '').map((t) => ({
      panel: `${p.title ?? `panel ${p.id}`} [${t.refId ?? '?'}]`,
      expr: resolveVariables(t.expr!, values),
    })),
  );
}
