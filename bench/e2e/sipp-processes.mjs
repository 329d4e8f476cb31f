// SIPp for the bench: UAS backends that stay up for a step, and the UAC that makes the step's
// calls. Scenarios are the shared ones in test/fixtures/sipp/; everything binds 127.0.0.1.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { statCounters } from './sipp-traces.mjs';
import { spawnTracked, stopTracked } from './tracked-processes.mjs';

const scenariosDir = fileURLToPath(new URL('../../test/fixtures/sipp/', import.meta.url));
const READY_TIMEOUT_MS = 5_000;
const KILL_GRACE_MS = 10_000;
/**
 * Socket buffers (SO_RCVBUF/SO_SNDBUF, capped by net.core.rmem_max/wmem_max): SIPp's 64 kB
 * default overflows in bursts at a few thousand calls/s and turns into retransmissions.
 */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

/** @param {'uac' | 'uas' | 'uas-503' | 'options-uac'} name */
export const scenarioPath = (name) => join(scenariosDir, `${name}.xml`);

/**
 * Starts a UAS backend and resolves once it holds its SIP port.
 * @param {{ sipp: string, scenario: string, name: string, port: number, controlPort: number, mediaPort: number, dir: string }} o
 */
export async function startUas(o) {
  const args = [
    '-sf', o.scenario, '-t', 'u1', '-i', '127.0.0.1', '-p', String(o.port),
    '-cp', String(o.controlPort), '-mp', String(o.mediaPort), '-nostdin', '-buff_size', String(SOCKET_BUFFER_BYTES),
    '-trace_stat', '-fd', '1', '-stf', `${o.name}.csv`, '-trace_err', '-error_file', `${o.name}-errors.log`,
  ];
  const uas = spawnTracked(o.sipp, args, { cwd: o.dir, logFile: join(o.dir, `${o.name}.out`) });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await ownsUdpPort(uas.pid, o.port))) {
    const exited = await Promise.race([uas.exited.then(() => true), delay(25).then(() => false)]);
    if (exited || Date.now() > deadline) {
      await stopTracked(uas);
      throw new Error(`SIPp UAS ${o.name} did not bind 127.0.0.1:${o.port} (see ${join(o.dir, `${o.name}.out`)})`);
    }
  }
  return uas;
}

/**
 * Starts the step's UAC: `calls` calls at `rate` per second, each held holdMs, with a
 * microsecond trace of every message (for setup times). SIPp stops itself after timeoutS; the
 * bench kills it by PID if it does not. `finished` resolves with its figures.
 * @param {{ sipp: string, scenario: string, target: string, port: number, controlPort: number, mediaPort: number,
 *   calls: number, rate: number, limit: number, holdMs: number, timeoutS: number, dir: string }} o
 */
export function startUac(o) {
  const args = [
    o.target, '-sf', o.scenario, '-t', 'u1', '-i', '127.0.0.1', '-p', String(o.port),
    '-cp', String(o.controlPort), '-mp', String(o.mediaPort), '-nostdin', '-buff_size', String(SOCKET_BUFFER_BYTES),
    '-m', String(o.calls), '-r', String(o.rate), '-l', String(o.limit), '-d', String(o.holdMs),
    '-timeout', `${o.timeoutS}s`, '-timeout_error',
    // a row a second: a UAC the bench has to kill still leaves its counters
    '-trace_stat', '-fd', '1', '-stf', 'uac.csv', '-trace_err', '-error_file', 'uac-errors.log',
    '-trace_shortmsg', '-shortmessage_file', 'uac-messages.log',
  ];
  const screenFile = join(o.dir, 'uac.out');
  const uac = spawnTracked(o.sipp, args, { cwd: o.dir, logFile: screenFile });
  return { pid: uac.pid, finished: uacFigures(uac, o.timeoutS, o.dir, screenFile) };
}

/**
 * @param {import('./tracked-processes.mjs').Tracked} uac @param {number} timeoutS
 * @param {string} dir @param {string} screenFile
 */
async function uacFigures(uac, timeoutS, dir, screenFile) {
  const timer = setTimeout(() => stopTracked(uac, 0), timeoutS * 1_000 + KILL_GRACE_MS);
  const exitCode = await uac.exited;
  clearTimeout(timer);
  // 1: some calls failed; 255 also when the global timeout cut the step short: both have figures
  const stats = await readFile(join(dir, 'uac.csv'), 'utf8').then(statCounters, () => undefined);
  if (!stats) {
    const screen = await readFile(screenFile, 'utf8').catch(() => '');
    throw new Error(`SIPp UAC exited with ${String(exitCode)} without statistics: ${screen.trim().split('\n').slice(-3).join(' / ')}`);
  }
  return { exitCode, stats, messagesFile: join(dir, 'uac-messages.log') };
}

/**
 * True once process pid holds the UDP socket bound to 127.0.0.1:port: the kernel's socket table
 * and the process's descriptors tell without talking SIP to it.
 * @param {number} pid @param {number} port
 */
async function ownsUdpPort(pid, port) {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const inodes = (await readFile('/proc/net/udp', 'utf8'))
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1] === local)
    .map((fields) => `socket:[${fields[9] ?? ''}]`);
  if (inodes.length === 0) return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return links.some((link) => inodes.includes(link));
}

/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
