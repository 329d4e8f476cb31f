/**
 * Starts a real Prometheus (Debian's `prometheus` package) on loopback for end-to-end tests:
 * writes a config that scrapes one target every second into `dir`, starts the server on
 * 127.0.0.1 with a port the kernel picks, waits for `/-/ready`, and evaluates queries through the
 * HTTP API. Stop it with `stop()`, which signals only the process started here, by its PID.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface StartPrometheusOptions {
  /** `host:port` of the /metrics endpoint to scrape (loopback). */
  scrapeTarget: string;
  /** A temporary directory for the config and the TSDB. */
  dir: string;
  /** Sent as `Authorization: Bearer …` when the admin API has a token. */
  bearerToken?: string;
  /** How long to wait for the server to listen and be ready (default 20 s). */
  readyTimeoutMs?: number;
}

export interface QueryOutcome {
  panel: string;
  expr: string;
  /** Prometheus' error for this query, or null when it evaluated. */
  error: string | null;
  /** Number of series (vector/matrix) or 1 for a scalar/string result. */
  series: number;
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  /** Evaluates each expression at the current time through /api/v1/query. */
  queryAll(expressions: ReadonlyArray<{ panel: string; expr: string }>): Promise<QueryOutcome[]>;
  /** Resolves once the target has been scraped `count` times (successfully or not). */
  waitForScrapes(count: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const SCRAPE_JOB = 'sipdispatch';
const POLL_MS = 100;

/** Whether a `prometheus` binary is on PATH. */
export function prometheusOnPath(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
}

function writeConfig(opts: StartPrometheusOptions): string {
  const job: Record<string, unknown> = {
    job_name: SCRAPE_JOB,
    metrics_path: '/metrics',
    static_configs: [{ targets: [opts.scrapeTarget] }],
  };
  if (opts.bearerToken !== undefined) job['authorization'] = { type: 'Bearer', credentials: opts.bearerToken };
  const config = { global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' }, scrape_configs: [job] };
  const file = join(opts.dir, 'prometheus.yml');
  writeFileSync(file, stringify(config));
  return file;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with the address from Prometheus' "Listening on" log line, or rejects if it exits first. */
function listenAddress(child: ChildProcess, log: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prometheus did not listen within ${timeoutMs} ms:\n${log.join('')}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      log.push(chunk.toString());
      const hit = /msg="Listening on" address=(\S+)/.exec(log.join(''));
      if (!hit) return;
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      resolve(hit[1]!);
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`prometheus exited with ${code} before listening:\n${log.join('')}`));
    });
  });
}

async function waitReady(url: string, deadline: number): Promise<void> {
  for (;;) {
    const res = await fetch(`${url}/-/ready`).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url}/-/ready did not answer 200 in time`);
    await pause(POLL_MS);
  }
}

async function query(url: string, expr: string): Promise<{ error: string | null; series: number }> {
  const res = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query: expr }) });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
  if (body.status !== 'success') return { error: body.error ?? `HTTP ${res.status}`, series: 0 };
  const result = body.data?.result;
  return { error: null, series: Array.isArray(result) && body.data?.resultType !== 'scalar' && body.data?.resultType !== 'string' ? result.length : 1 };
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    process.kill(child.pid!, 'SIGTERM');
  });
}

export async function startPrometheus(opts: StartPrometheusOptions): Promise<RunningPrometheus> {
  const timeoutMs = opts.readyTimeoutMs ?? 20_000;
  mkdirSync(join(opts.dir, 'data'), { recursive: true });
  const args = [
    `--config.file=${writeConfig(opts)}`,
    `--storage.tsdb.path=${join(opts.dir, 'data')}`,
    '--web.listen-address=127.0.0.1:0',
  ];
  const child = spawn('prometheus', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  try {
    const url = `http://${await listenAddress(child, log, timeoutMs)}`;
    await waitReady(url, Date.now() + timeoutMs);
    child.stderr?.resume();
    return {
      url,
      pid: child.pid!,
      queryAll: (expressions) => Promise.all(expressions.map(async (e) => ({ ...e, ...(await query(url, e.expr)) }))),
      async waitForScrapes(count, waitMs = 20_000) {
        const deadline = Date.now() + waitMs;
        const probe = `count_over_time(up{job="${SCRAPE_JOB}"}[5m]) >= ${count}`;
        while ((await query(url, probe)).series === 0) {
          if (Date.now() > deadline) throw new Error(`fewer than ${count} scrapes of ${opts.scrapeTarget} after ${waitMs} ms`);
          await pause(POLL_MS);
        }
      },
      stop: () => stopProcess(child),
    };
  } catch (e) {
    await stopProcess(child);
    throw e;
  }
}
