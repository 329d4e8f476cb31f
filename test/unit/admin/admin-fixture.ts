/** A real Dispatcher loaded from Kamailio's sample list, and an admin API around it. */
import { readFileSync } from 'node:fs';
import { buildAdmin } from '../../../src/admin/build-admin.js';
import type { AdminDeps } from '../../../src/admin/build-admin.js';
import type { ReloadOutcome } from '../../../src/admin/rpc-methods.js';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import type { DispatcherOptions } from '../../../src/dispatcher/dispatcher.js';
import { createMetrics } from '../../../src/metrics/create-metrics.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { dispatcherOptions } from '../dispatcher/helpers.js';

export const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/admin/${name}`, import.meta.url), 'utf8');

export const LIST_FILE = 'dispatcher.list';
export const SAMPLE_LIST = fixture('dispatcher.list');

/** Kamailio-lab.cfg's settings: probing mode 1, thresholds 1, latency statistics on. */
export function fixtureDispatcher(overrides: Partial<DispatcherOptions> = {}): Dispatcher {
  const d = new Dispatcher(dispatcherOptions({ callLoad: { expireMs: 3_600_000, initExpireMs: 60_000 }, random: () => 0.5, ...overrides }));
  const r = d.load(SAMPLE_LIST, LIST_FILE);
  if (!r.ok) throw new Error(r.error.errors.join('\n'));
  return d;
}

export interface TestAdmin {
  app: ReturnType<typeof buildAdmin>;
  dispatcher: Dispatcher;
  /** The list file as the next reload reads it. */
  file: { text: string };
  clock: { now: number };
  readiness: { listening: boolean };
  close(): Promise<void>;
}

/** The admin API over a fixture dispatcher; `reload` reads `file.text` like the app reads the file. */
export function testAdmin(overrides: Partial<AdminDeps> = {}, dispatcher = fixtureDispatcher()): TestAdmin {
  const file = { text: SAMPLE_LIST };
  const clock = { now: 100_000 };
  const readiness = { listening: true };
  const metrics = createMetrics({
    version: 'test',
    transactionsActive: () => 0,
    destinations: () => dispatcher.list().flatMap((s) => s.destinations.map((d) => ({ set: String(s.id), uri: d.uri, up: d.up, state: d.state, callLoad: d.callLoad }))),
  });
  const reload = async ({ reset }: { reset: boolean }): Promise<ReloadOutcome> => {
    const r = dispatcher.reload(file.text, LIST_FILE, { reset });
    return r.ok ? { ok: true, report: r.value } : { ok: false, code: r.error.code, errors: r.error.errors };
  };
  const app = buildAdmin({
    dispatcher,
    reload,
    metrics: () => metrics.metrics(),
    metricsContentType: metrics.contentType,
    ready: () => readiness.listening,
    logger: silentLogger,
    listBlocks: { latencyStats: true, callLoad: false },
    now: () => clock.now,
    ...overrides,
  });
  return {
    app,
    dispatcher,
    file,
    clock,
    readiness,
    async close() {
      await app.close();
      metrics.close();
    },
  };
}

/** POSTs one JSON-RPC request to /RPC. */
export async function rpc(t: TestAdmin, method: string, params?: unknown, id: number | string = 1) {
  const payload = params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id };
  const res = await t.app.inject({ method: 'POST', url: '/RPC', payload });
  return { status: res.statusCode, statusMessage: res.statusMessage, body: res.json() as Record<string, unknown> };
}
