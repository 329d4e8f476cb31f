// The results as markdown: the machine and what ran, the command, one table per scenario (and
// one of medians when the sweep was repeated), and the maximum sustainable rate of each target.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { MAX_FAILED_RATIO, MAX_SETUP_P99_MS } from './run-step.mjs';

/** @typedef {Awaited<ReturnType<typeof import('./run-step.mjs').runStep>>} Row */
/** @typedef {import('./medians.mjs').MedianRow} MedianRow */
/** @typedef {{ run: number, target: string, scenario: string, rate: number, error: string }} FailedStep */
/**
 * What ran: repetitions, warm-up, and how sipdispatch was started.
 * @typedef {{ runs: number, warmupS: number, warmupMaxRate: number,
 *   sipdispatch: { node: string, nodeArgs: string[], cliArgs: string[] } | undefined }} Setup
 */

/**
 * @param {string} sipp @param {string | undefined} kamailio
 * @param {string | undefined} sipdispatchNode  the node binary that runs sipdispatch
 */
export function describeMachine(sipp, kamailio, sipdispatchNode) {
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? '?',
    ramGb: totalmem() / 2 ** 30,
    node: process.version,
    sipdispatchNode: sipdispatchNode ? firstLineOf(sipdispatchNode, ['--version']) : 'not used',
    sipp: firstLineOf(sipp, ['-v']),
    kamailio: kamailio ? firstLineOf(kamailio, ['-v']) : 'not installed',
  };
}

/** The first non-empty line a command prints. @param {string} command @param {string[]} args */
function firstLineOf(command, args) {
  let out;
  try {
    out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5_000 });
  } catch (error) {
    // sipp -v exits 99 after printing its version
    out = /** @type {{ stdout?: string }} */ (error).stdout ?? '';
  }
  return out.split('\n').map((line) => line.trim()).find(Boolean) ?? '?';
}

/**
 * @param {{ machine: ReturnType<typeof describeMachine>, command: string, setup: Setup, rows: Row[], medians: MedianRow[],
 *   failures: FailedStep[], notes: string[] }} results
 */
export function renderMarkdown({ machine, command, setup, rows, medians, failures, notes }) {
  const lines = [
    `Run ${machine.date} on ${machine.cpus} × ${machine.cpuModel}, ${machine.ramGb.toFixed(1)} GiB RAM, bench on node ${machine.node}, ${machine.sipp}, ${machine.kamailio}.`,
    '',
    ...describeSetup(machine, setup),
    '',
    `Command: \`${command}\``,
    '',
  ];
  const repeated = setup.runs > 1;
  for (const scenario of SCENARIOS) {
    const ofScenario = bySweep(rows.filter((row) => row.scenario === scenario));
    if (ofScenario.length > 0) lines.push(`### ${TITLES[scenario]}${repeated ? ', every run' : ''}`, '', ...table(ofScenario, repeated), '');
  }
  if (repeated) {
    for (const scenario of SCENARIOS) {
      const ofScenario = medians.filter((row) => row.scenario === scenario);
      if (ofScenario.length > 0) lines.push(`### ${TITLES[scenario]}, medians over ${setup.runs} runs`, '', ...medianTable(ofScenario), '');
    }
  }
  lines.push(...LEGEND, ...(repeated ? [MEDIANS_LEGEND] : []), warmupNote(setup), '', ...summary(rows, setup.runs));
  for (const failure of failures) lines.push(`- ${repeated ? `run ${failure.run}: ` : ''}${failure.target} ${failure.scenario} at ${failure.rate}/s did not run: ${failure.error}`);
  const warmupFailures = rows.filter((row) => row.warmupFailed > 0);
  for (const row of warmupFailures) lines.push(`- ${row.target} ${row.scenario} at ${row.rate}/s${repeated ? ` (run ${row.run})` : ''}: ${row.warmupFailed} of ${row.warmupCalls} warm-up calls failed`);
  for (const note of notes) lines.push(`- ${note}`);
  return `${lines.join('\n')}\n`;
}

const SCENARIOS = /** @type {const} */ (['call', 'options']);
const TITLES = { call: 'Calls (INVITE-100-180-200-ACK, hold, BYE-200)', options: 'OPTIONS relayed to the backends (one transaction per call)' };

/** @param {ReturnType<typeof describeMachine>} machine @param {Setup} setup */
function describeSetup(machine, setup) {
  const flags = (/** @type {string[]} */ list) => (list.length > 0 ? `\`${list.join(' ')}\`` : 'none');
  const warmup = setup.warmupS > 0 ? `${setup.warmupS} s at min(rate, ${setup.warmupMaxRate}) calls/s before every step` : 'none';
  const lines = [`Runs: ${setup.runs}. Warm-up: ${warmup}.`];
  if (setup.sipdispatch) {
    const { node, nodeArgs, cliArgs } = setup.sipdispatch;
    lines.push(`sipdispatch on node ${machine.sipdispatchNode} (\`${node}\`), node flags ${flags(nodeArgs)}, CLI flags ${flags(cliArgs)}.`);
  }
  return lines;
}

/** @param {Setup} setup */
function warmupNote(setup) {
  if (setup.warmupS <= 0) return '- warm-up: none (--warmup 0): every proxy was measured cold, right after it started.';
  return `- warm-up: the proxies are started fresh for every step; an operator's proxy is long-running, so before each measured window every target (direct too) got ${setup.warmupS} s of the same scenario at min(rate, ${setup.warmupMaxRate}) calls/s, unmeasured: the measured window is steady state, and a JIT-compiled proxy and a C proxy get the same warm-up. Its CPU, calls and retransmissions are not in the figures.`;
}

const LEGEND = [
  '- achieved/s: calls started per second, first to last initial request sent.',
  '- failed: offered calls that did not succeed, including those SIPp could not start or finish before its deadline.',
  '- retrans: SIPp retransmissions, UAC and UAS backends together.',
  '- setup: INVITE (or OPTIONS) sent to 200 received, from the UAC\'s microsecond message trace; it includes the UAS backend\'s own pacing of 100/180/200 (see the direct rows).',
  '- INVITE→180 and BYE→200: first INVITE (BYE) sent to the first 180 (200) with its CSeq, from the same trace; calls without a 180 are left out; – for OPTIONS.',
  '- proxy CPU s: utime + stime of the proxy and its child processes over the whole step; % core (load): over the seconds calls were offered.',
  '- proxy peak RSS: sum of VmHWM over its processes (Kamailio\'s shared memory counts once per process that touched it).',
  '- others % core (load): CPU of every process outside the step while calls were offered; "busy before": the wait for a quiet machine gave up.',
];
const MEDIANS_LEGEND = '- medians: each figure is the median over the runs that reached the step (mean of the middle two for an even count); passed: runs in which the step passed / runs; reached: runs that got to the step.';

/**
 * The figures every table shows, in order, with how each prints.
 * @type {[key: string, header: string, format: (value: number) => string][]}
 */
const FIGURES = [
  ['achievedRate', 'achieved/s', (v) => fixed(v, 0)],
  ['successful', 'ok', count],
  ['failed', 'failed', count],
  ['retransmissions', 'retrans', count],
  ['setupP50Ms', 'setup p50 ms', (v) => fixed(v, 2)],
  ['setupP99Ms', 'setup p99 ms', (v) => fixed(v, 2)],
  ['ringP50Ms', 'INVITE→180 p50 ms', (v) => fixed(v, 2)],
  ['ringP99Ms', 'INVITE→180 p99 ms', (v) => fixed(v, 2)],
  ['byeP50Ms', 'BYE→200 p50 ms', (v) => fixed(v, 2)],
  ['byeP99Ms', 'BYE→200 p99 ms', (v) => fixed(v, 2)],
  ['proxyCpuS', 'proxy CPU s', (v) => fixed(v, 2)],
  ['proxyCorePct', 'proxy % core (load)', (v) => fixed(v, 0)],
  ['proxyPeakRssMb', 'proxy peak RSS MB', (v) => fixed(v, 1)],
  ['sippCpuS', 'SIPp CPU s', (v) => fixed(v, 2)],
  ['otherCorePct', 'others % core (load)', (v) => fixed(v, 0)],
];

/** Where "busy before" is added. */
const OTHERS = FIGURES.findIndex(([key]) => key === 'otherCorePct');

/** @param {string[]} header @param {string[][]} cells */
const markdownTable = (header, cells) => [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...cells.map((row) => `| ${row.join(' | ')} |`)];

/** @param {Readonly<Record<string, unknown>>} figures */
const figureCells = (figures) => FIGURES.map(([key, , format]) => format(/** @type {number} */ (figures[key])));

/** @param {Row[]} rows @param {boolean} withRun */
function table(rows, withRun) {
  const header = ['target', ...(withRun ? ['run'] : []), 'offered/s', ...FIGURES.map(([, title]) => title), 'pass'];
  return markdownTable(header, rows.map((row) => {
    const cells = figureCells(row);
    if (!row.quietBefore) cells[OTHERS] += ' (busy before)';
    return [row.target, ...(withRun ? [String(row.run)] : []), String(row.rate), ...cells, verdict(row)];
  }));
}

/** @param {MedianRow[]} rows */
function medianTable(rows) {
  const header = ['target', 'offered/s', ...FIGURES.map(([, title]) => title), 'passed', 'reached'];
  return markdownTable(header, rows.map((row) => {
    const cells = figureCells(row.figures);
    if (row.busyBefore > 0) cells[OTHERS] += ` (busy before ×${row.busyBefore})`;
    return [row.target, String(row.rate), ...cells, `${row.passed}/${row.runs}`, `${row.reached}/${row.runs}`];
  }));
}

/** Rows grouped by sweep (targets in first-run order), then rate, then run. @param {Row[]} rows */
function bySweep(rows) {
  const targets = [...new Set(rows.map((row) => row.target))];
  return [...rows].sort((a, b) => targets.indexOf(a.target) - targets.indexOf(b.target) || a.rate - b.rate || a.run - b.run);
}

/** @param {Row} row */
function verdict(row) {
  const notReached = row.achievedRate < 0.95 * row.rate ? ', rate not reached' : '';
  return `${row.pass ? 'yes' : 'no'}${notReached}`;
}

/** Max sustainable rate per sweep, and per run when there are several. @param {Row[]} rows @param {number} runs */
function summary(rows, runs) {
  const lines = [`Max sustainable rate (highest step with < ${MAX_FAILED_RATIO * 100} % failed calls and setup p99 ≤ ${MAX_SETUP_P99_MS} ms):`, ''];
  const keys = [...new Set(rows.map((row) => `${row.target} ${row.scenario}`))];
  for (const key of keys) {
    const perRun = [];
    for (let run = 1; run <= runs; run++) {
      const sweep = rows.filter((row) => row.run === run && `${row.target} ${row.scenario}` === key);
      perRun.push(`${runs > 1 ? `run ${run} ` : ''}${maxSustainable(sweep)}`);
    }
    lines.push(`- ${key}: ${perRun.join(', ')}`);
  }
  return lines;
}

/** @param {Row[]} sweep  one run's steps of one target and scenario */
function maxSustainable(sweep) {
  if (sweep.length === 0) return 'not run';
  const passing = sweep.filter((row) => row.pass).map((row) => row.rate);
  // a sweep that never failed stopped at its top step, not at the limit
  const bound = passing.length === sweep.length ? '≥ ' : '';
  return passing.length > 0 ? `${bound}${Math.max(...passing)}/s` : 'no step passed';
}

/** @param {number} value @param {number} digits */
function fixed(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** A count, or a median of counts (which may end in .5). @param {number} value */
function count(value) {
  return Number.isInteger(value) ? String(value) : fixed(value, 1);
}
