#!/usr/bin/env node
// Overload mode of the end-to-end bench (issue 11): measure sipdispatch's maximum sustainable call
// rate M, then offer 1×, 1.5× and 2× M to sipdispatch and to Kamailio 5.6 side by side in the same
// run, and report goodput, failed calls by cause, shed requests and destination state changes.
// Loopback only; every step is bounded (a fixed number of calls, SIPp's deadline, the bench's kill).
// `npm run bench:e2e -- --overload --help` (or `node bench/e2e/overload.mjs --help`).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './medians.mjs';
import { goodputOf } from './goodput.mjs';
import { describeMachine } from './report.mjs';
import { runStep } from './run-step.mjs';
import { defaultSipdispatchCli, findExecutable, shebangNodeArgs } from './start-proxy.mjs';
import { installExitCleanup } from './tracked-processes.mjs';

const USAGE = `usage: node bench/e2e/overload.mjs [--runs N] [--seconds N] [--max-rate N] [--probe-rates 1000,1500,...]
       [--multipliers 1,1.5,2] [--targets sipdispatch,kamailio] [--warmup N] [--quiet-wait N] [--keep]
  --runs         repeat everything N times; medians over the runs are reported (default 3)
  --seconds      how long each overload step offers calls (default 10)
  --max-rate     take M as given instead of measuring it
  --probe-rates  rising call rates tried to find M: the highest step sipdispatch passes
                 (< 0.1 % failed, setup p99 <= 100 ms), as long as the overload steps (default 1000,1500,2000,2500,3000)
  --multipliers  offered load as multiples of M (default 1,1.5,2)
  --targets      the proxies compared at each load, in this order (default sipdispatch,kamailio)
  --warmup       unmeasured seconds at up to 500 calls/s before each step (default 2)
  --quiet-wait   seconds to wait for a quiet machine before each step (default 10)
  --keep         keep traces and logs
  --sipdispatch-config  a config file for sipdispatch (default: none, its defaults)
  --sipdispatch-cli     the CLI to run (default dist/cli/cli.js; another build to compare)
Calls: INVITE, 100/180, 200, ACK, 1 s hold, BYE, 200, from one SIPp UAC to two SIPp UAS behind the proxy.
Goodput: successful calls per second of the span over which the UAC actually offered them.
Results: printed, and written to bench/e2e/out/overload-*.md and .json.`;

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    'max-rate': { type: 'string' },
    'probe-rates': { type: 'string', default: '1000,1500,2000,2500,3000' },
    multipliers: { type: 'string', default: '1,1.5,2' },
    targets: { type: 'string', default: 'sipdispatch,kamailio' },
    warmup: { type: 'string', default: '2' },
    'quiet-wait': { type: 'string', default: '10' },
    keep: { type: 'boolean', default: false },
    'sipdispatch-config': { type: 'string' },
    'sipdispatch-cli': { type: 'string', default: defaultSipdispatchCli },
    overload: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

const HOLD_MS = 1_000;
const runs = Number(flags.runs);
const seconds = Number(flags.seconds);
const warmupS = Number(flags.warmup);
const multipliers = flags.multipliers.split(',').map(Number);
const probeRates = flags['probe-rates'].split(',').map(Number);
const givenMax = flags['max-rate'] === undefined ? undefined : Number(flags['max-rate']);
const targets = /** @type {Array<'sipdispatch' | 'kamailio'>} */ (flags.targets.split(',').filter((t) => t === 'sipdispatch' || t === 'kamailio'));
if (![runs, seconds, warmupS, ...multipliers, ...probeRates].every((n) => Number.isFinite(n) && n >= 0) || runs < 1 || seconds < 1) {
  console.error(USAGE);
  process.exit(2);
}

const sipp = findExecutable('sipp');
const kamailio = findExecutable('kamailio', ['/usr/sbin', '/usr/local/sbin', '/sbin']);
const cli = flags['sipdispatch-cli'];
if (!sipp || !existsSync(cli) || (targets.includes('kamailio') && !kamailio)) {
  console.error(`needs sipp, kamailio (apt-get install sip-tester kamailio) and ${cli} (npm run build)`);
  process.exit(2);
}

const workDir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-overload-'));
installExitCleanup(() => {
  if (!flags.keep) rmSync(workDir, { recursive: true, force: true });
});
const sipdispatch = { node: process.execPath, nodeArgs: shebangNodeArgs(cli), cli, cliArgs: [], config: flags['sipdispatch-config'] };
const env = { sipp, kamailio, sipdispatch, workDir, keep: flags.keep, quiet: { maxOtherCores: 0.25, maxWaitMs: Number(flags['quiet-wait']) * 1_000 } };
const machine = describeMachine(sipp, kamailio, process.execPath);
const command = `node bench/e2e/overload.mjs ${process.argv.slice(2).join(' ')}`.trim();

/** @type {Array<Record<string, unknown>>} */
const rows = [];
/** @type {Array<{ run: number, maxRate: number, tried: string }>} */
const maxima = [];
for (let run = 1; run <= runs; run++) {
  const maxRate = givenMax ?? (await measureMaxRate(run));
  if (maxRate === 0) {
    console.log(`run ${run}: no probe rate passed; nothing to overload`);
    continue;
  }
  for (const multiplier of multipliers) {
    const rate = Math.round(maxRate * multiplier);
    for (const target of targets) {
      process.stdout.write(`run ${run}: ${target} at ${multiplier}× M = ${rate} calls/s for ${seconds} s ... `);
      try {
        const row = await runStep({ run, target, scenario: 'call', rate, seconds, holdMs: HOLD_MS, warmupS, overload: true }, env);
        const goodput = goodputOf(row, seconds);
        const failedOther = row.failed - row.failed503 - row.failed408 - row.failedNoAnswer;
        rows.push({ ...row, multiplier, maxRate, goodput, goodputPct: (100 * goodput) / maxRate, failedOther });
        console.log(`${row.successful} ok, ${row.failed} failed (503 ${row.failed503}, 408 ${row.failed408}, no answer ${row.failedNoAnswer}), shed ${row.shed}, state changes ${row.stateChanges}`);
      } catch (error) {
        console.log(`error: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

const markdown = render();
const outDir = fileURLToPath(new URL('out/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const stamp = machine.date.replace(/[:.]/g, '-');
writeFileSync(join(outDir, `overload-${stamp}.md`), markdown);
writeFileSync(join(outDir, `overload-${stamp}.json`), `${JSON.stringify({ machine, command, maxima, rows }, null, 2)}\n`);
console.log(`\n${markdown}\nWritten to ${join(outDir, `overload-${stamp}.md`)} (and .json)`);

/**
 * M: the highest of the rising probe rates sipdispatch passes, stopping at the first failure.
 * @param {number} run
 */
async function measureMaxRate(run) {
  let best = 0;
  const tried = [];
  for (const rate of probeRates) {
    process.stdout.write(`run ${run}: measuring M, sipdispatch at ${rate} calls/s for ${seconds} s ... `);
    const row = await runStep({ run, target: 'sipdispatch', scenario: 'call', rate, seconds, holdMs: HOLD_MS, warmupS, overload: true }, env);
    console.log(`${row.successful} ok, ${row.failed} failed (503 ${row.failed503}, 408 ${row.failed408}, no answer ${row.failedNoAnswer}), shed ${row.shed}, setup p99 ${row.setupP99Ms.toFixed(1)} ms: ${row.pass ? 'pass' : 'fail'}`);
    tried.push(`${rate}/s ${row.pass ? 'pass' : `fail (${row.failed} failed, p99 ${row.setupP99Ms.toFixed(0)} ms)`}`);
    if (!row.pass) break;
    best = rate;
  }
  maxima.push({ run, maxRate: best, tried: tried.join(', ') });
  return best;
}

function render() {
  const f = (/** @type {unknown} */ v, digits = 0) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');
  const header = [
    '| run | load | calls/s | offered/s | target | goodput calls/s | goodput / M | ok | failed: 503 | 408 | no answer | other | 503 in p50 / p99 ms | BYE unanswered | shed | traffic marks (spared) | state changes | proxy % core | others % core |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const line = (/** @type {Record<string, any>} */ r, /** @type {string} */ run) =>
    `| ${run} | ${r.multiplier}× | ${f(r.rate)} | ${f(r.achievedRate)} | ${r.target} | ${f(r.goodput)} | ${f(r.goodputPct)} % | ${f(r.successful)} | ${f(r.failed503)} | ${f(r.failed408)} | ${f(r.failedNoAnswer)} | ${f(r.failedOther)} | ${f(r.reject503P50Ms, 1)} / ${f(r.reject503P99Ms, 1)} | ${f(r.byeUnanswered)} | ${f(r.shed)} | ${f(r.trafficMarks)} (${f(r.trafficSpared)}) | ${f(r.stateChanges)} | ${f(r.proxyCorePct)} | ${f(r.otherCorePct)} |`;
  const lines = [
    `Run ${machine.date} on ${machine.cpus} × ${machine.cpuModel}, ${machine.ramGb.toFixed(1)} GiB RAM, node ${machine.node}, ${machine.sipp}, ${machine.kamailio}.`,
    '',
    `Command: \`${command}\``,
    '',
    `M (max sustainable call rate of sipdispatch, highest passing probe step): ${maxima.map((m) => `run ${m.run}: ${m.maxRate}/s (${m.tried})`).join('; ') || `given: ${givenMax}/s`}.`,
    '',
    'offered/s: new calls the UAC started per second, first to last; below calls/s when SIPp fell behind. Goodput: calls answered 2xx per second of that offering span (never less than the step\'s seconds).',
    '',
    ...header,
    ...rows.map((r) => line(r, String(r.run))),
  ];
  if (runs > 1) {
    lines.push('', `Medians over ${runs} runs (each figure separately):`, '', ...header);
    for (const multiplier of multipliers) {
      for (const target of targets) {
        const group = rows.filter((r) => r.multiplier === multiplier && r.target === target);
        if (group.length === 0) continue;
        /** @type {Record<string, any>} */
        const m = { multiplier, target };
        for (const key of Object.keys(group[0] ?? {})) if (typeof group[0]?.[key] === 'number') m[key] = median(group.map((r) => r[key]));
        lines.push(line(m, `median of ${group.length}`));
      }
    }
  }
  const changed = rows.filter((r) => Number(r.stateChanges) > 0);
  lines.push('', changed.length === 0 ? 'Destination state changes: none in any step.' : `Destination state changes: ${changed.map((r) => `run ${r.run} ${r.target} ${r.multiplier}×: ${r.stateChangeList}`).join('; ')}.`);
  return `${lines.join('\n')}\n`;
}
