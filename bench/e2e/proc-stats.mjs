// CPU time, peak memory and machine load from /proc (Linux), for the end-to-end bench.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Kernel clock ticks per second: the unit of utime/stime in /proc/PID/stat. */
export const CLOCK_TICKS = readClockTicks();

/**
 * One process's line of /proc/PID/stat, or undefined once it is gone. The command name (field 2)
 * may hold spaces and parentheses, so fields are counted from the last ')'.
 * @param {number} pid
 * @returns {{ state: string, ppid: number, cpuTicks: number, childCpuTicks: number, startTime: number } | undefined}
 */
export function readProcStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // after ')': state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17) ... starttime(22)
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const at = (field) => Number(fields[field - 3]);
  return { state: fields[0] ?? '', ppid: at(4), cpuTicks: at(14) + at(15), childCpuTicks: at(16) + at(17), startTime: at(22) };
}

/**
 * A process and all its descendants, found by walking parent links once over /proc.
 * @param {number} rootPid
 * @returns {number[]}
 */
export function processTree(rootPid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const stat = readProcStat(pid);
    if (!stat) continue;
    const siblings = children.get(stat.ppid) ?? [];
    siblings.push(pid);
    children.set(stat.ppid, siblings);
  }
  const tree = [];
  const queue = [rootPid];
  while (queue.length > 0 && tree.length < 10_000) {
    const pid = /** @type {number} */ (queue.shift());
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * utime + stime of the given processes, in ticks (processes already gone count 0).
 * @param {readonly number[]} pids
 */
export function cpuTicksOf(pids) {
  return pids.reduce((sum, pid) => sum + (readProcStat(pid)?.cpuTicks ?? 0), 0);
}

/**
 * Sum of the processes' peak resident set (VmHWM), in kB. Shared memory mapped by several
 * processes (Kamailio's shm) is counted once per process that touched it.
 * @param {readonly number[]} pids
 */
export function peakRssKbOf(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(match?.[1] ?? 0);
    } catch {
      // gone: its memory no longer counts
    }
  }
  return total;
}

/** Busy ticks of the whole machine since boot, all CPUs (everything but idle and iowait). */
export function machineBusyTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
}

/**
 * CPU counters at one instant. `ours` are the processes of the step; this bench process counts
 * with the children it has already reaped (a finished SIPp UAC lands in its cutime/cstime).
 * @param {{ proxy: readonly number[], sipp: readonly number[] }} groups
 */
export function cpuSnapshot(groups) {
  const self = readProcStat(process.pid);
  return {
    atNs: process.hrtime.bigint(),
    busy: machineBusyTicks(),
    proxy: cpuTicksOf(groups.proxy),
    sipp: cpuTicksOf(groups.sipp) + (self?.childCpuTicks ?? 0),
    bench: self?.cpuTicks ?? 0,
  };
}

/**
 * CPU used between two snapshots, in seconds, and what the rest of the machine used.
 * @param {ReturnType<typeof cpuSnapshot>} before
 * @param {ReturnType<typeof cpuSnapshot>} after
 */
export function cpuBetween(before, after) {
  const seconds = (ticks) => ticks / CLOCK_TICKS;
  const proxy = after.proxy - before.proxy;
  const sipp = after.sipp - before.sipp;
  const bench = after.bench - before.bench;
  return {
    wallS: Number(after.atNs - before.atNs) / 1e9,
    proxyS: seconds(proxy),
    sippS: seconds(sipp),
    otherS: seconds(Math.max(0, after.busy - before.busy - proxy - sipp - bench)),
  };
}

/**
 * Waits, in 1-second windows, until the processes outside the step use less than maxOtherCores,
 * or maxWaitMs has passed. Resolves with what the last window measured.
 * @param {{ groups: () => { proxy: readonly number[], sipp: readonly number[] }, maxOtherCores: number, maxWaitMs: number }} options
 */
export async function waitForQuietMachine({ groups, maxOtherCores, maxWaitMs }) {
  const started = Date.now();
  const windows = Math.max(1, Math.ceil(maxWaitMs / 1_000));
  let otherCores = Number.NaN;
  for (let window = 1; window <= windows; window++) {
    const before = cpuSnapshot(groups());
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const used = cpuBetween(before, cpuSnapshot(groups()));
    otherCores = used.otherS / used.wallS;
    if (otherCores < maxOtherCores) break;
  }
  return { quiet: otherCores < maxOtherCores, otherCores, waitedMs: Date.now() - started };
}

function readClockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
