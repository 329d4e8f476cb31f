// Every process the bench starts is tracked by PID and start time (so a reused PID is never
// hit), stopped by PID at the end of its step, and killed by PID if the bench exits or is
// interrupted first.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readProcStat } from './proc-stats.mjs';

/** @typedef {{ pid: number, startTime: number }} ProcessRef */
/**
 * @typedef {object} Tracked
 * @property {number} pid
 * @property {Promise<number | null>} exited  resolves with the exit code (null after a signal)
 * @property {() => ProcessRef[]} members  the process and the descendants adopted with it
 * @property {(pids: readonly number[]) => void} adopt  tracks descendants (Kamailio's children) too
 */

/** @type {Map<number, ProcessRef>} */
const live = new Map();
const POLL_MS = 50;

/**
 * Starts a command with stdout and stderr appended to logFile, and tracks it.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ cwd: string, logFile: string }} options
 * @returns {Tracked}
 */
export function spawnTracked(command, args, { cwd, logFile }) {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  const own = { pid, startTime: readProcStat(pid)?.startTime ?? -1 };
  live.set(pid, own);
  const exited = new Promise((resolve) => {
    child.once('exit', (code) => {
      live.delete(pid);
      resolve(code);
    });
    child.once('error', () => resolve(null));
  });
  /** @type {ProcessRef[]} */
  const adopted = [];
  return {
    pid,
    exited,
    members: () => [own, ...adopted],
    adopt(pids) {
      for (const member of pids) {
        const stat = member === pid ? undefined : readProcStat(member);
        if (!stat) continue;
        const ref = { pid: member, startTime: stat.startTime };
        adopted.push(ref);
        live.set(member, ref);
      }
    },
  };
}

/**
 * SIGTERM to the main process, then waits (bounded) until it and every adopted descendant are
 * gone; SIGKILL by PID to whatever is left.
 * @param {Tracked} tracked
 * @param {number} graceMs
 */
export async function stopTracked(tracked, graceMs = 5_000) {
  signal(tracked.members()[0], 'SIGTERM');
  if (!(await allGone(tracked.members(), graceMs))) {
    for (const ref of tracked.members()) signal(ref, 'SIGKILL');
    await allGone(tracked.members(), 2_000);
  }
  for (const ref of tracked.members()) live.delete(ref.pid);
  await Promise.race([tracked.exited, new Promise((resolve) => setTimeout(resolve, 1_000))]);
}

/** SIGKILL, by PID, every tracked process still alive: for 'exit' and signal handlers. */
export function killAllTrackedSync() {
  for (const ref of live.values()) signal(ref, 'SIGKILL');
  live.clear();
}

/** Makes sure nothing the bench started outlives it, however it ends. */
export function installExitCleanup(onExit = () => {}) {
  process.once('exit', () => {
    killAllTrackedSync();
    onExit();
  });
  for (const [name, code] of /** @type {const} */ ([['SIGINT', 130], ['SIGTERM', 143]])) {
    process.once(name, () => {
      console.error(`\n${name}: stopping every process the bench started`);
      process.exit(code);
    });
  }
}

/** @param {ProcessRef | undefined} ref @param {NodeJS.Signals} name */
function signal(ref, name) {
  if (!ref || !isAlive(ref)) return;
  try {
    process.kill(ref.pid, name);
  } catch {
    // exited between the check and the signal
  }
}

/** Alive and still the same process (same start time), not a zombie. @param {ProcessRef} ref */
function isAlive(ref) {
  const stat = readProcStat(ref.pid);
  return stat !== undefined && stat.startTime === ref.startTime && stat.state !== 'Z';
}

/** @param {ProcessRef[]} refs @param {number} timeoutMs */
async function allGone(refs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!refs.some(isAlive)) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return !refs.some(isAlive);
}
