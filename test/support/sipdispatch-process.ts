/**
 * Runs the real, built CLI (`node dist/cli/cli.js`) as a child process on loopback for end-to-end
 * tests: waits (bounded) for its "sipdispatch started" line, and stops it by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort } from './sipp.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/cli.js', import.meta.url));

export interface SipdispatchProcess {
  readonly pid: number;
  readonly sipPort: number;
  /** The loopback address its SIP listeners bound (127.0.0.1 unless asked otherwise). */
  readonly sipHost: string;
  readonly httpPort: number;
  readonly dir: string;
  /** Everything it printed so far (JSON log lines). */
  output(): string;
  metrics(): Promise<string>;
  rpc(method: string, params?: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string } }>;
  /** SIGTERM and wait for the exit (bounded); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  list: string;
  /** Config file contents (YAML). */
  config?: string;
  transports?: Array<'udp' | 'tcp'>;
  readyTimeoutMs?: number;
  /** The node binary to run the CLI with (default: this process's). */
  node?: string;
  /** More command-line flags, e.g. ['--workers', '2'] (without `--workers` or `workers:` in the config it runs one thread). */
  args?: string[];
  /** More files written into its working directory (name → contents), e.g. an address file. */
  files?: Record<string, string>;
  /** The loopback address of its SIP listeners (another host's, e.g. 127.0.0.12); 127.0.0.1 by default. */
  host?: string;
  /** Raise its open-file limit to this first (`ulimit -n` in a bash that execs node; as root the hard limit too). */
  fdLimit?: number;
}

export async function startSipdispatch(options: StartOptions): Promise<SipdispatchProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does)`);
  const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-e2e-'));
  writeFileSync(join(dir, 'dispatcher.list'), options.list);
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text);
  const sipPort = await freeLoopbackPort();
  const httpPort = await freeLoopbackPort();
  const args = [CLI, '--list', join(dir, 'dispatcher.list'), '--http', `127.0.0.1:${httpPort}`, '--log-level', 'info'];
  const sipHost = options.host ?? '127.0.0.1';
  for (const t of options.transports ?? ['udp', 'tcp']) args.push('--listen', `${t}:${sipHost}:${sipPort}`);
  if (options.config !== undefined) {
    writeFileSync(join(dir, 'sipdispatch.yaml'), options.config);
    args.push('--config', join(dir, 'sipdispatch.yaml'));
  }
  // One thread unless the test asks for threads (the default, auto, runs one per core): most tests
  // read metrics right after a call, and a worker thread's events reach them in 100 ms batches.
  const asksThreads = options.args?.includes('--workers') === true || /^workers:/m.test(options.config ?? '');
  if (!asksThreads) args.push('--workers', '1');
  if (options.args) args.push(...options.args);
  const node = options.node ?? process.execPath;
  const child =
    options.fdLimit === undefined
      ? spawn(node, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${options.fdLimit} 2>/dev/null; exec "$0" "$@"`, node, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => out.includes('"msg":"sipdispatch started"'), child, options.readyTimeoutMs ?? 10_000, () => out);
  const base = `http://127.0.0.1:${httpPort}`;
  return {
    pid: child.pid!,
    sipPort,
    sipHost,
    httpPort,
    dir,
    output: () => out,
    metrics: async () => (await fetch(`${base}/metrics`)).text(),
    rpc: async (method, params = []) =>
      (await (await fetch(`${base}/RPC`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }) })).json()) as {
        result?: unknown;
        error?: { code: number; message: string };
      },
    stop: () => stopChild(child),
  };
}

/** The value of one series in a Prometheus exposition (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/** Polls `cond` every 50 ms until it holds, the child exits, or `ms` pass. */
export async function waitFor(cond: () => boolean | Promise<boolean>, child: ChildProcess | undefined, ms: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (child && child.exitCode !== null) throw new Error(`sipdispatch exited with ${child.exitCode}: ${describe().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms: ${describe().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
