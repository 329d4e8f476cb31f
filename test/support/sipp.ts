/**
 * SIPp for the end-to-end tests: find the binary, start a UAS backend, run a UAC and read its
 * -trace_stat CSV. Everything binds 127.0.0.1, every child is stopped by its PID, every wait is
 * bounded. Scenarios live in test/fixtures/sipp/ (see sippScenario).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type SippTransport = 'udp' | 'tcp';
export type SippScenarioName = 'uac' | 'uas' | 'uas-503' | 'options-uac' | 'options-flood';

export interface SippUasOptions {
  readonly port: number;
  /** Path of the scenario XML (see sippScenario). */
  readonly scenario: string;
  readonly transport?: SippTransport;
  /** SIPp control port (-cp); a free one when omitted. Two SIPp processes must not share it. */
  readonly controlPort?: number;
  /** RTP echo port (-mp, uses it and +2); a free pair when omitted. Collisions silence a UAS. */
  readonly mediaPort?: number;
  /** Where SIPp writes its trace files. */
  readonly cwd: string;
}

export interface SippProcess {
  readonly pid: number;
  /** SIGTERM, then SIGKILL if it is still there after a bounded wait. */
  stop(): Promise<void>;
}

export interface SippUacOptions {
  /** `127.0.0.1:PORT`: SIPp never sends anywhere else from here. */
  readonly target: string;
  readonly scenario: string;
  readonly calls: number;
  /** Calls per second. */
  readonly rate: number;
  /** Maximum simultaneous calls (-l); SIPp's default when omitted. */
  readonly limit?: number;
  readonly transport?: SippTransport;
  /** Local SIP port; a free one when omitted or 0 (SIPp itself would take 5060). */
  readonly port?: number;
  /** SIPp's global timeout; the process is killed a few seconds after it if it hangs. */
  readonly timeoutSec: number;
  readonly cwd: string;
  /** Length of the scenario's <pause/> (-d), 0 by default. */
  readonly holdMs?: number;
  readonly controlPort?: number;
  readonly mediaPort?: number;
  /** Source address on loopback (-i), e.g. 127.0.0.10 to be another host; 127.0.0.1 by default. */
  readonly localAddress?: string;
}

export interface SippUacResult {
  /** SIPp's exit status: 0 all calls succeeded, 1 some failed, 99 none ran, 254 bind error, 255 fatal; null if killed. */
  readonly exitCode: number | null;
  readonly successful: number;
  readonly failed: number;
  readonly retransmissions: number;
  /** The last row of the -trace_stat CSV, by column name (cumulative counters end in `(C)`). */
  readonly stats: Readonly<Record<string, string>>;
  /** Start of the -trace_err log ('' when no call went wrong), for assertion messages. */
  readonly errors: string;
}

const LOOPBACK_TARGET = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+$/;
const READY_TIMEOUT_MS = 5_000;
const STOP_TIMEOUT_MS = 5_000;
const KILL_GRACE_MS = 5_000;
const POLL_MS = 25;
const ERROR_LOG_MAX_CHARS = 4_000;

const scenariosDir = fileURLToPath(new URL('../fixtures/sipp/', import.meta.url));

/** Absolute path of one of the shared scenarios in test/fixtures/sipp/. */
export const sippScenario = (name: SippScenarioName): string => join(scenariosDir, `${name}.xml`);

/** The sipp executable on PATH (or $SIPP), or undefined: e2e suites skip themselves then. */
export function findSipp(): string | undefined {
  const candidates = process.env['SIPP'] ? [process.env['SIPP']] : (process.env['PATH'] ?? '').split(delimiter).map((dir) => join(dir, 'sipp'));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Starts a SIPp UAS on 127.0.0.1 and resolves once its SIP port is bound. */
export async function startSippUas(options: SippUasOptions): Promise<SippProcess> {
  const transport = options.transport ?? 'udp';
  const controlPort = options.controlPort ?? (await freeLoopbackPort());
  const mediaPort = options.mediaPort ?? (await freeMediaPort());
  const name = `${basename(options.scenario, '.xml')}-${options.port}`;
  const args = [
    ...commonArgs(options.scenario, transport, options.port, controlPort, mediaPort),
    '-trace_stat', '-stf', `${name}.csv`,
    '-trace_err', '-error_file', `${name}-errors.log`,
  ];
  const sipp = spawnSipp(args, options.cwd);
  try {
    await waitUntilBound(sipp, options.port, transport);
  } catch (error) {
    await stopChild(sipp.child);
    throw error;
  }
  return { pid: sipp.pid, stop: () => stopChild(sipp.child) };
}

/** Runs a SIPp UAC to completion (bounded by timeoutSec) and reads its statistics. */
export async function runSippUac(options: SippUacOptions): Promise<SippUacResult> {
  if (!LOOPBACK_TARGET.test(options.target)) throw new Error(`SIPp target must be loopback, got ${options.target}`);
  const transport = options.transport ?? 'udp';
  const port = options.port || (await freeLoopbackPort());
  const controlPort = options.controlPort ?? (await freeLoopbackPort());
  const mediaPort = options.mediaPort ?? (await freeMediaPort());
  const name = `${basename(options.scenario, '.xml')}-${port}`;
  const args = [
    options.target,
    ...commonArgs(options.scenario, transport, port, controlPort, mediaPort, options.localAddress),
    '-m', String(options.calls),
    '-r', String(options.rate),
    '-d', String(options.holdMs ?? 0),
    ...(options.limit === undefined ? [] : ['-l', String(options.limit)]),
    '-timeout', `${options.timeoutSec}s`, '-timeout_error',
    '-trace_stat', '-stf', `${name}.csv`,
    '-trace_err', '-error_file', `${name}-errors.log`,
  ];
  const sipp = spawnSipp(args, options.cwd);
  const exitCode = await waitForExit(sipp.child, options.timeoutSec * 1000 + KILL_GRACE_MS);
  const csv = await readFile(join(options.cwd, `${name}.csv`), 'utf8').catch(() => '');
  const stats = csv ? parseSippStatCsv(csv).at(-1) : undefined;
  if (!stats) throw new Error(`SIPp UAC exited with ${String(exitCode)} without statistics: ${sipp.stderr()}`);
  const errors = await readFile(join(options.cwd, `${name}-errors.log`), 'utf8').catch(() => '');
  return { exitCode, ...sippCounters(stats), stats, errors: errors.slice(0, ERROR_LOG_MAX_CHARS) };
}

/**
 * Parses a SIPp -trace_stat CSV: a header line, then one row per -fd period (and one at exit).
 * Every line ends with the delimiter; date cells contain tabs, never the delimiter.
 */
export function parseSippStatCsv(text: string, separator = ';'): Record<string, string>[] {
  const lines = text.split('\n').filter((line) => line.length > 0);
  const header = lines[0]?.split(separator);
  if (!header || !header.includes('SuccessfulCall(C)')) throw new Error('not a SIPp statistics CSV (no SuccessfulCall(C) column)');
  return lines.slice(1).map((line, index) => {
    const cells = line.split(separator);
    if (cells.length !== header.length) throw new Error(`SIPp statistics row ${index + 1} has ${cells.length} cells, header has ${header.length}`);
    return Object.fromEntries(header.map((column, i) => [column, cells[i] ?? '']));
  });
}

/** The call counters of one statistics row: calls not finished when SIPp stopped count as failed. */
export function sippCounters(row: Readonly<Record<string, string>>): { successful: number; failed: number; retransmissions: number } {
  const successful = counter(row, 'SuccessfulCall(C)');
  const created = counter(row, 'TotalCallCreated');
  return {
    successful,
    failed: Math.max(counter(row, 'FailedCall(C)'), created - successful),
    retransmissions: counter(row, 'Retransmissions(C)'),
  };
}

/** A port that is free for both UDP and TCP on 127.0.0.1 right now (SIPp needs a fixed port). */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeTcpPort();
    if (await udpPortFree(port)) return port;
  }
  throw new Error('no loopback port free for both UDP and TCP after 20 attempts');
}

function counter(row: Readonly<Record<string, string>>, column: string): number {
  const value = Number(row[column]);
  if (!Number.isInteger(value)) throw new Error(`SIPp statistics column ${column} is missing or not a count: ${String(row[column])}`);
  return value;
}

function commonArgs(scenario: string, transport: SippTransport, port: number, controlPort: number, mediaPort: number, localAddress = '127.0.0.1'): string[] {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(localAddress)) throw new Error(`SIPp source must be loopback, got ${localAddress}`);
  return [
    '-sf', scenario,
    '-t', transport === 'tcp' ? 't1' : 'u1',
    '-i', localAddress, '-p', String(port),
    '-cp', String(controlPort), '-mp', String(mediaPort),
    '-nostdin',
  ];
}

interface SpawnedSipp {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The start of what SIPp wrote on stderr (bind errors, scenario errors). */
  stderr(): string;
}

/** Children still running, killed by PID if the test process exits before stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function spawnSipp(args: string[], cwd: string): SpawnedSipp {
  const sipp = findSipp();
  if (!sipp) throw new Error('sipp not found: apt-get install sip-tester');
  // stdout carries SIPp's screen: nobody reads it
  const child = spawn(sipp, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (child.pid === undefined) throw new Error(`sipp could not be started from ${sipp}`);
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < ERROR_LOG_MAX_CHARS) stderr += chunk;
  });
  return { child, pid: child.pid, stderr: () => stderr.trim() };
}

async function waitUntilBound({ child, pid, stderr }: SpawnedSipp, port: number, transport: SippTransport): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sipp exited with ${String(child.exitCode ?? child.signalCode)} before binding port ${port}: ${stderr()}`);
    }
    if (await ownsPort(pid, port, transport)) return;
    await delay(POLL_MS);
  }
  throw new Error(`sipp did not bind 127.0.0.1:${port}/${transport} within ${READY_TIMEOUT_MS} ms`);
}

/**
 * True once process pid holds the socket bound to 127.0.0.1:port (listening, for TCP). Reads the
 * kernel's socket table and the process's descriptors: the only way to see that SIPp is ready
 * without talking SIP to it, and not to mistake another process's socket for its own.
 */
async function ownsPort(pid: number, port: number, transport: SippTransport): Promise<boolean> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = (await readFile(`/proc/net/${transport}`, 'utf8'))
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === local && (transport === 'udp' || fields[3] === '0A'))
    .map((fields) => `socket:[${fields[9] ?? ''}]`);
  if (inodes.length === 0) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return links.some((link) => inodes.includes(link));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await waitForExit(child, STOP_TIMEOUT_MS);
}

/**
 * Resolves with the exit code (null when killed by a signal). If the process is still running
 * after timeoutMs it gets SIGKILL (by its PID, as child.kill does) and the promise resolves once
 * it is gone.
 */
function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** SIPp opens its RTP echo on -mp and -mp+2: both must be free. */
async function freeMediaPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeLoopbackPort();
    if (port < 65_000 && (await udpPortFree(port + 2))) return port;
  }
  throw new Error('no free UDP port pair for SIPp media after 20 attempts');
}

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no TCP port'))));
    });
  });
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
