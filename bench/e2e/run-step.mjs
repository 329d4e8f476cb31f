// One step of the sweep: fresh backends and proxy on fresh loopback ports, an unmeasured
// warm-up, a quiet machine, the UAC at one rate, then the figures. Every process of the step is stopped by PID before it ends.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freeMediaPort, freePort } from './free-ports.mjs';
import { readFailureCauses, scrapeSipdispatch, stateChanges } from './overload-figures.mjs';
import { cpuBetween, cpuSnapshot, peakRssKbOf, waitForQuietMachine } from './proc-stats.mjs';
import { scenarioPath, startUac, startUas } from './sipp-processes.mjs';
import { percentile, readTraceTimes, statCounters } from './sipp-traces.mjs';
import { startKamailio, startSipdispatch } from './start-proxy.mjs';
import { stopTracked } from './tracked-processes.mjs';
import { uasRetransmissionsAfter, warmUp, WARMUP_MAX_RATE } from './warmup.mjs';

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
 * @typedef {{ run: number, target: Target, scenario: Scenario, rate: number, seconds: number, holdMs: number, warmupS: number, overload?: boolean }} Step
 * @typedef {{ node: string, nodeArgs: string[], cli: string, cliArgs: string[], config?: string }} SipdispatchRun
 * @typedef {{ sipp: string, kamailio?: string, kamailioHep?: string, sipdispatch: SipdispatchRun, workDir: string, keep: boolean,
 *   quiet: { maxOtherCores: number, maxWaitMs: number } }} StepEnv
 */

/**
 * @param {Step} step
 * @param {StepEnv} env
 */
export async function runStep(step, env) {
  const dir = await mkdtemp(join(env.workDir, `run${step.run}-${step.target}-${step.scenario}-${step.rate}-`));
  /** @type {import('./tracked-processes.mjs').Tracked[]} */
  const started = [];
  try {
    const ports = await allocatePorts(step.target === 'direct' ? 1 : 2);
    const backends = await startBackends(ports, dir, env);
    started.push(...backends);
    const proxy = await startStepProxy(step.target, ports, dir, env);
    if (proxy) started.push(proxy);
    const warm = await warmUpTarget(step, env, ports, dir);
    const uasFiles = backends.map((_, index) => join(dir, `uas${index + 1}.csv`));
    const uasBaseline = warm ? () => uasRetransmissionsAfter(uasFiles, warm.endedS) : async () => 0;
    const { quiet, uac, cpu, underLoad, uasRetransmissionsBefore } = await offerLoad(step, env, ports, dir, proxy, backends, uasBaseline);
    const peakRssKb = proxy ? peakRssKbOf(pidsOf(proxy)) : Number.NaN;
    const scraped = step.overload && step.target === 'sipdispatch' ? await scrapeSipdispatch(ports.http) : undefined;
    // SIGTERM makes each UAS write its final statistics row
    await Promise.all(started.splice(0).map((tracked) => stopTracked(tracked)));
    const uasStats = await Promise.all(uasFiles.map(async (file) => statCounters(await readFile(file, 'utf8'))));
    const overload = step.overload && step.target !== 'direct' ? await overloadFigures(step.target, uac.messagesFile, scraped, join(dir, 'kamailio.log')) : {};
    return figures(step, overload, {
      uac: uac.stats,
      uacExit: uac.exitCode,
      uasRetransmissions: uasStats.reduce((sum, stats) => sum + stats.retransmissions, 0) - uasRetransmissionsBefore,
      times: await readTraceTimes(uac.messagesFile),
      warm,
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
 * The unmeasured warm-up at min(rate, WARMUP_MAX_RATE) calls/s for step.warmupS seconds, in its
 * own subdirectory; undefined when disabled.
 * @param {Step} step @param {StepEnv} env @param {Ports} ports @param {string} dir
 */
async function warmUpTarget(step, env, ports, dir) {
  if (step.warmupS <= 0) return undefined;
  const load = { ...step, rate: Math.min(step.rate, WARMUP_MAX_RATE), seconds: step.warmupS };
  return warmUp(uacOptions(load, env, uacTarget(step, ports), ports.warmupUac, join(dir, 'warmup')));
}

/**
 * Waits for a quiet machine, takes the UAS retransmission baseline, then runs the UAC and
 * measures CPU over the whole run and over the load window (while calls are offered, before the
 * last ones end or time out).
 * @param {Step} step @param {StepEnv} env @param {Ports} ports @param {string} dir
 * @param {import('./tracked-processes.mjs').Tracked | undefined} proxy
 * @param {import('./tracked-processes.mjs').Tracked[]} backends
 * @param {() => Promise<number>} uasBaseline
 */
async function offerLoad(step, env, ports, dir, proxy, backends, uasBaseline) {
  const groups = (/** @type {number[]} */ uacPids = []) => ({ proxy: proxy ? pidsOf(proxy) : [], sipp: [...backends.flatMap(pidsOf), ...uacPids] });
  const quiet = await waitForQuietMachine({ groups: () => groups(), ...env.quiet });
  const uasRetransmissionsBefore = await uasBaseline();
  const before = cpuSnapshot(groups());
  const uac = startUac(uacOptions(step, env, uacTarget(step, ports), ports.uac, dir));
  /** @type {ReturnType<typeof cpuSnapshot> | undefined} */
  let loaded;
  const loadTimer = setTimeout(() => (loaded = cpuSnapshot(groups([uac.pid]))), step.seconds * 1_000);
  const figures = await uac.finished.finally(() => clearTimeout(loadTimer));
  // the UAC is reaped now: its CPU is in this process's children time, not under its PID
  const after = cpuSnapshot(groups());
  return { quiet, uac: figures, cpu: cpuBetween(before, after), underLoad: cpuBetween(before, loaded ?? after), uasRetransmissionsBefore };
}

/**
 * One SIPp UAS per backend port; stops those already started if one fails.
 * @param {Ports} ports @param {string} dir @param {StepEnv} env
 */
async function startBackends(ports, dir, env) {
  const backends = [];
  try {
    for (const [index, port] of ports.uas.entries()) {
      const options = { sipp: env.sipp, scenario: scenarioPath('uas'), name: `uas${index + 1}`, port, controlPort: ports.uasControl[index], mediaPort: ports.uasMedia[index], dir };
      backends.push(await startUas(options));
    }
    return backends;
  } catch (error) {
    await Promise.all(backends.map((uas) => stopTracked(uas)));
    throw error;
  }
}

/** The proxy, or the first backend for the direct ceiling. @param {Step} step @param {Ports} ports */
const uacTarget = (step, ports) => `127.0.0.1:${step.target === 'direct' ? ports.uas[0] : ports.proxy}`;

/**
 * @param {Step} step @param {StepEnv} env @param {string} target
 * @param {{ port: number, control: number, media: number }} own  the UAC's SIP, control and media ports
 * @param {string} dir
 */
function uacOptions(step, env, target, own, dir) {
  return {
    sipp: env.sipp,
    scenario: scenarioPath(step.scenario === 'call' ? 'uac' : 'options-uac'),
    target,
    port: own.port,
    controlPort: own.control,
    mediaPort: own.media,
    calls: step.rate * step.seconds,
    rate: step.rate,
    // An overload step never lets SIPp slow down: a call the proxy drops stays open until SIPp
    // gives up on it, and with the usual limit those calls would throttle the UAC, so the proxy
    // would be offered less than the step says (a Kamailio 2× step: 8,000 new calls/s for 3 s, then
    // 1,400–4,000).
    limit: step.overload ? step.rate * step.seconds : Math.max(50, step.rate * LIMIT_FACTOR),
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
  // every SIPp process has its own control and media ports: colliding media ports silence a UAS
  const uac = async () => ({ port: await freePort(taken), control: await freePort(taken), media: await freeMediaPort(taken) });
  return {
    proxy: await freePort(taken),
    http: await freePort(taken),
    uas: await many(backends, freePort),
    uasControl: await many(backends, freePort),
    uasMedia: await many(backends, freeMediaPort),
    uac: await uac(),
    warmupUac: await uac(),
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
    return startKamailio({ kamailio: env.kamailio, port: ports.proxy, listFile, dir, hep: env.kamailioHep });
  }
  const run = env.sipdispatch;
  return startSipdispatch({ node: run.node, nodeArgs: run.nodeArgs, cli: run.cli, cliArgs: run.cliArgs, port: ports.proxy, httpPort: ports.http, listFile, configFile: run.config, dir });
}

/** @param {import('./tracked-processes.mjs').Tracked} tracked */
const pidsOf = (tracked) => tracked.members().map((ref) => ref.pid);

/**
 * The row of the results table (with the overload mode's figures when it asked for them).
 * @param {Step} step
 * @param {Partial<Awaited<ReturnType<typeof overloadFigures>>>} overload
 * @param {{ uac: ReturnType<typeof statCounters>, uacExit: number | null, uasRetransmissions: number,
 *   times: Awaited<ReturnType<typeof readTraceTimes>>, warm: Awaited<ReturnType<typeof warmUp>> | undefined, cpu: ReturnType<typeof cpuBetween>,
 *   underLoad: ReturnType<typeof cpuBetween>, peakRssKb: number,
 *   quiet: Awaited<ReturnType<typeof waitForQuietMachine>> }} m
 */
function figures(step, overload, m) {
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
    ringP50Ms: percentile(m.times.ringMs, 50),
    ringP99Ms: percentile(m.times.ringMs, 99),
    byeP50Ms: percentile(m.times.byeMs, 50),
    byeP99Ms: percentile(m.times.byeMs, 99),
    proxyCpuS: step.target === 'direct' ? Number.NaN : m.cpu.proxyS,
    proxyCorePct: step.target === 'direct' ? Number.NaN : (100 * m.underLoad.proxyS) / m.underLoad.wallS,
    proxyPeakRssMb: m.peakRssKb / 1024,
    sippCpuS: m.cpu.sippS,
    otherCorePct: (100 * m.underLoad.otherS) / m.underLoad.wallS,
    quietBefore: m.quiet.quiet,
    uacExit: m.uacExit,
    warmupCalls: m.warm?.calls ?? 0,
    warmupFailed: m.warm?.failed ?? 0,
    pass: failed / calls < MAX_FAILED_RATIO && setupP99Ms <= MAX_SETUP_P99_MS,
    ...overload,
  };
}

/**
 * @param {'sipdispatch' | 'kamailio'} target @param {string} messagesFile
 * @param {Awaited<ReturnType<typeof scrapeSipdispatch>> | undefined} scraped @param {string} kamailioLog
 */
async function overloadFigures(target, messagesFile, scraped, kamailioLog) {
  return {
    ...(await readFailureCauses(messagesFile)),
    shed: scraped?.shed ?? Number.NaN,
    trafficMarks: scraped?.trafficMarks ?? Number.NaN,
    trafficSpared: scraped?.trafficSpared ?? Number.NaN,
    ...(await stateChanges(target, scraped, kamailioLog)),
  };
}
