// One step of the sweep: fresh backends and proxy on fresh loopback ports, a quiet machine, the
// UAC at one rate, then the figures. Every process of the step is stopped by PID before it ends.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freeMediaPort, freePort } from './free-ports.mjs';
import { cpuBetween, cpuSnapshot, peakRssKbOf, waitForQuietMachine } from './proc-stats.mjs';
import { scenarioPath, startUac, startUas } from './sipp-processes.mjs';
import { percentile, readSetupTimes, statCounters } from './sipp-traces.mjs';
import { startKamailio, startSipdispatch } from './start-proxy.mjs';
import { stopTracked } from './tracked-processes.mjs';

/** A step passes with fewer failed calls than this fraction... */
export const MAX_FAILED_RATIO = 0.001;
/** ...and a call-setup p99 at or under this. */
export const MAX_SETUP_P99_MS = 100;
/** Calls in progress allowed per call/s offered (SIPp -l): three times what a held call needs. */
const LIMIT_FACTOR = 3;
/** SIPp's own deadline beyond the calls' nominal duration. */
const UAC_SLACK_S = 20;

/**
 * @typedef {'sipdispatch' | 'kamailio' | 'direct'} Target
 * @typedef {'call' | 'options'} Scenario
 * @typedef {{ target: Target, scenario: Scenario, rate: number, seconds: number, holdMs: number }} Step
 * @typedef {{ sipp: string, kamailio?: string, sipdispatchCli: string, sipdispatchConfig?: string, workDir: string, keep: boolean,
 *   quiet: { maxOtherCores: number, maxWaitMs: number } }} StepEnv
 */

/**
 * @param {Step} step
 * @param {StepEnv} env
 */
export async function runStep(step, env) {
  const dir = await mkdtemp(join(env.workDir, `${step.target}-${step.scenario}-${step.rate}-`));
  /** @type {import('./tracked-processes.mjs').Tracked[]} */
  const started = [];
  try {
    const ports = await allocatePorts(step.target === 'direct' ? 1 : 2);
    const backends = await startBackends(ports, dir, env);
    started.push(...backends);
    const proxy = await startStepProxy(step.target, ports, dir, env);
    if (proxy) started.push(proxy);
    const { quiet, uac, cpu, underLoad } = await offerLoad(step, env, ports, dir, proxy, backends);
    const peakRssKb = proxy ? peakRssKbOf(pidsOf(proxy)) : Number.NaN;
    // SIGTERM makes each UAS write its final statistics row
    await Promise.all(started.splice(0).map((tracked) => stopTracked(tracked)));
    const uasStats = await Promise.all(backends.map(async (_, index) => statCounters(await readFile(join(dir, `uas${index + 1}.csv`), 'utf8'))));
    return figures(step, {
      uac: uac.stats,
      uacExit: uac.exitCode,
      uasRetransmissions: uasStats.reduce((sum, stats) => sum + stats.retransmissions, 0),
      times: await readSetupTimes(uac.messagesFile),
      cpu,
      underLoad,
      peakRssKb,
      quiet,
    });
  } finally {
    await Promise.all(started.map((tracked) => stopTracked(tracked)));
    if (!env.keep) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Waits for a quiet machine, then runs the UAC and measures CPU over the whole run and over the
 * load window (while calls are offered, before the last ones end or time out).
 * @param {Step} step @param {StepEnv} env @param {Ports} ports @param {string} dir
 * @param {import('./tracked-processes.mjs').Tracked | undefined} proxy
 * @param {import('./tracked-processes.mjs').Tracked[]} backends
 */
async function offerLoad(step, env, ports, dir, proxy, backends) {
  const groups = (/** @type {number[]} */ uacPids = []) => ({ proxy: proxy ? pidsOf(proxy) : [], sipp: [...backends.flatMap(pidsOf), ...uacPids] });
  const quiet = await waitForQuietMachine({ groups: () => groups(), ...env.quiet });
  const before = cpuSnapshot(groups());
  const uac = startUac(uacOptions(step, env, ports, proxy !== undefined, dir));
  /** @type {ReturnType<typeof cpuSnapshot> | undefined} */
  let loaded;
  const loadTimer = setTimeout(() => (loaded = cpuSnapshot(groups([uac.pid]))), step.seconds * 1_000);
  const figures = await uac.finished.finally(() => clearTimeout(loadTimer));
  // the UAC is reaped now: its CPU is in this process's children time, not under its PID
  const after = cpuSnapshot(groups());
  return { quiet, uac: figures, cpu: cpuBetween(before, after), underLoad: cpuBetween(before, loaded ?? after) };
}

/**
 * One SIPp UAS per backend port; stops those already started if one fails.
 * @param {Ports} ports @param {string} dir @param {StepEnv} env
 */
async function startBackends(ports, dir, env) {
  const backends = [];
  try {
    for (const [index, port] of ports.uas.entries()) {
      const options = { sipp: env.sipp, scenario: scenarioPath('uas'), name: `uas${index + 1}`, port, controlPort: ports.control[index], mediaPort: ports.media[index], dir };
      backends.push(await startUas(options));
    }
    return backends;
  } catch (error) {
    await Promise.all(backends.map((uas) => stopTracked(uas)));
    throw error;
  }
}

/**
 * @param {Step} step @param {StepEnv} env @param {Ports} ports @param {boolean} viaProxy @param {string} dir
 */
function uacOptions(step, env, ports, viaProxy, dir) {
  return {
    sipp: env.sipp,
    scenario: scenarioPath(step.scenario === 'call' ? 'uac' : 'options-uac'),
    target: `127.0.0.1:${viaProxy ? ports.proxy : ports.uas[0]}`,
    port: ports.uac,
    controlPort: ports.control.at(-1),
    mediaPort: ports.media.at(-1),
    calls: step.rate * step.seconds,
    rate: step.rate,
    limit: Math.max(50, step.rate * LIMIT_FACTOR),
    holdMs: step.scenario === 'call' ? step.holdMs : 0,
    timeoutS: step.seconds + Math.ceil(step.holdMs / 1_000) + UAC_SLACK_S,
    dir,
  };
}

/** @typedef {Awaited<ReturnType<typeof allocatePorts>>} Ports */

/** @param {number} backends */
async function allocatePorts(backends) {
  const taken = new Set();
  const many = async (/** @type {number} */ count, /** @type {(taken: Set<number>) => Promise<number>} */ next) => {
    const ports = [];
    for (let i = 0; i < count; i++) ports.push(await next(taken));
    return ports;
  };
  return {
    proxy: await freePort(taken),
    http: await freePort(taken),
    uac: await freePort(taken),
    uas: await many(backends, freePort),
    // one control and one media port per SIPp process: the backends, then the UAC
    control: await many(backends + 1, freePort),
    media: await many(backends + 1, freeMediaPort),
  };
}

/**
 * @param {Target} target @param {Ports} ports
 * @param {string} dir @param {StepEnv} env
 */
async function startStepProxy(target, ports, dir, env) {
  if (target === 'direct') return undefined;
  const listFile = join(dir, 'dispatcher.list');
  // flag 8: probed with OPTIONS
  await writeFile(listFile, ports.uas.map((port) => `1 sip:127.0.0.1:${port} 8 0\n`).join(''));
  if (target === 'kamailio') {
    if (!env.kamailio) throw new Error('kamailio is not installed');
    return startKamailio({ kamailio: env.kamailio, port: ports.proxy, listFile, dir });
  }
  return startSipdispatch({ cli: env.sipdispatchCli, port: ports.proxy, httpPort: ports.http, listFile, configFile: env.sipdispatchConfig, dir });
}

/** @param {import('./tracked-processes.mjs').Tracked} tracked */
const pidsOf = (tracked) => tracked.members().map((ref) => ref.pid);

/**
 * The row of the results table.
 * @param {Step} step
 * @param {{ uac: ReturnType<typeof statCounters>, uacExit: number | null, uasRetransmissions: number,
 *   times: Awaited<ReturnType<typeof readSetupTimes>>, cpu: ReturnType<typeof cpuBetween>,
 *   underLoad: ReturnType<typeof cpuBetween>, peakRssKb: number,
 *   quiet: Awaited<ReturnType<typeof waitForQuietMachine>> }} m
 */
function figures(step, m) {
  const calls = step.rate * step.seconds;
  // calls never created or never finished within SIPp's deadline failed too
  const failed = calls - m.uac.successful;
  const sendSpanS = m.times.lastSendS - m.times.firstSendS;
  const setupP99Ms = percentile(m.times.setupMs, 99);
  return {
    ...step,
    calls,
    achievedRate: m.times.calls > 1 && sendSpanS > 0 ? (m.times.calls - 1) / sendSpanS : Number.NaN,
    successful: m.uac.successful,
    failed,
    retransmissions: m.uac.retransmissions + m.uasRetransmissions,
    setupP50Ms: percentile(m.times.setupMs, 50),
    setupP99Ms,
    proxyCpuS: step.target === 'direct' ? Number.NaN : m.cpu.proxyS,
    proxyCorePct: step.target === 'direct' ? Number.NaN : (100 * m.underLoad.proxyS) / m.underLoad.wallS,
    proxyPeakRssMb: m.peakRssKb / 1024,
    sippCpuS: m.cpu.sippS,
    otherCorePct: (100 * m.underLoad.otherS) / m.underLoad.wallS,
    quietBefore: m.quiet.quiet,
    uacExit: m.uacExit,
    pass: failed / calls < MAX_FAILED_RATIO && setupP99Ms <= MAX_SETUP_P99_MS,
  };
}
