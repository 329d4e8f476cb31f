// The results as markdown: the machine, the command, one table per scenario, and the maximum
// sustainable rate of each target.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { MAX_FAILED_RATIO, MAX_SETUP_P99_MS } from './run-step.mjs';

/** @typedef {Awaited<ReturnType<typeof import('./run-step.mjs').runStep>>} Row */
/** @typedef {{ target: string, scenario: string, rate: number, error: string }} FailedStep */

/**
 * @param {string} sipp @param {string | undefined} kamailio
 */
export function describeMachine(sipp, kamailio) {
  const firstLine = (/** @type {string} */ command, /** @type {string[]} */ args) => {
    try {
      const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5_000 });
      return out.split('\n').map((line) => line.trim()).find(Boolean) ?? '?';
    } catch (error) {
      // sipp -v exits 99 after printing its version
      const out = /** @type {{ stdout?: string }} */ (error).stdout ?? '';
      return out.split('\n').map((line) => line.trim()).find(Boolean) ?? '?';
    }
  };
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? '?',
    ramGb: totalmem() / 2 ** 30,
    node: process.version,
    sipp: firstLine(sipp, ['-v']),
    kamailio: kamailio ? firstLine(kamailio, ['-v']) : 'not installed',
  };
}

/**
 * @param {{ machine: ReturnType<typeof describeMachine>, command: string, rows: Row[], failures: FailedStep[], notes: string[] }} results
 */
export function renderMarkdown({ machine, command, rows, failures, notes }) {
  const lines = [
    `Run ${machine.date} on ${machine.cpus} × ${machine.cpuModel}, ${machine.ramGb.toFixed(1)} GiB RAM, node ${machine.node}, ${machine.sipp}, ${machine.kamailio}.`,
    '',
    `Command: \`${command}\``,
    '',
  ];
  for (const scenario of /** @type {const} */ (['call', 'options'])) {
    const ofScenario = rows.filter((row) => row.scenario === scenario);
    if (ofScenario.length === 0) continue;
    lines.push(scenario === 'call' ? '### Calls (INVITE-100-180-200-ACK, hold, BYE-200)' : '### OPTIONS relayed to the backends (one transaction per call)', '', ...table(ofScenario), '');
  }
  lines.push(...LEGEND, '', ...summary(rows));
  for (const failure of failures) lines.push(`- ${failure.target} ${failure.scenario} at ${failure.rate}/s did not run: ${failure.error}`);
  for (const note of notes) lines.push(`- ${note}`);
  return `${lines.join('\n')}\n`;
}

const LEGEND = [
  '- achieved/s: calls started per second, first to last initial request sent.',
  '- failed: offered calls that did not succeed, including those SIPp could not start or finish before its deadline.',
  '- retrans: SIPp retransmissions, UAC and UAS backends together.',
  '- setup: INVITE (or OPTIONS) sent to 200 received, from the UAC\'s microsecond message trace; it includes the UAS backend\'s own pacing of 100/180/200 (see the direct rows).',
  '- proxy CPU s: utime + stime of the proxy and its child processes over the whole step; % core (load): over the seconds calls were offered.',
  '- proxy peak RSS: sum of VmHWM over its processes (Kamailio\'s shared memory counts once per process that touched it).',
  '- others % core (load): CPU of every process outside the step while calls were offered; "busy before": the wait for a quiet machine gave up.',
];

/** @param {Row[]} rows */
function table(rows) {
  const header = ['target', 'offered/s', 'achieved/s', 'ok', 'failed', 'retrans', 'setup p50 ms', 'setup p99 ms', 'proxy CPU s', 'proxy % core (load)', 'proxy peak RSS MB', 'SIPp CPU s', 'others % core (load)', 'pass'];
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${[
      row.target,
      row.rate,
      fixed(row.achievedRate, 0),
      row.successful,
      row.failed,
      row.retransmissions,
      fixed(row.setupP50Ms, 2),
      fixed(row.setupP99Ms, 2),
      fixed(row.proxyCpuS, 2),
      fixed(row.proxyCorePct, 0),
      fixed(row.proxyPeakRssMb, 1),
      fixed(row.sippCpuS, 2),
      `${fixed(row.otherCorePct, 0)}${row.quietBefore ? '' : ' (busy before)'}`,
      verdict(row),
    ].join(' | ')} |`),
  ];
}

/** @param {Row} row */
function verdict(row) {
  const notReached = row.achievedRate < 0.95 * row.rate ? ', rate not reached' : '';
  return `${row.pass ? 'yes' : 'no'}${notReached}`;
}

/** @param {Row[]} rows */
function summary(rows) {
  const lines = [`Max sustainable rate (highest step with < ${MAX_FAILED_RATIO * 100} % failed calls and setup p99 ≤ ${MAX_SETUP_P99_MS} ms):`, ''];
  const keys = [...new Set(rows.map((row) => `${row.target} ${row.scenario}`))];
  for (const key of keys) {
    const sweep = rows.filter((row) => `${row.target} ${row.scenario}` === key);
    const passing = sweep.filter((row) => row.pass).map((row) => row.rate);
    // a sweep that never failed stopped at its top step, not at the limit
    const bound = passing.length === sweep.length ? '≥ ' : '';
    lines.push(`- ${key}: ${passing.length > 0 ? `${bound}${Math.max(...passing)}/s` : 'no step passed'}`);
  }
  return lines;
}

/** @param {number} value @param {number} digits */
const fixed = (value, digits) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
