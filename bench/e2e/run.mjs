#!/usr/bin/env node
// End-to-end bench: SIPp call and OPTIONS rate sweeps through sipdispatch, then through
// Kamailio 5.6 configured the same way, then UAC -> UAS direct (the machine's ceiling).
// Loopback only, bounded in time; installs nothing. `npm run bench:e2e -- --help` for options.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, renderMarkdown } from './report.mjs';
import { runStep } from './run-step.mjs';
import { defaultSipdispatchCli, findExecutable } from './start-proxy.mjs';
import { installExitCleanup } from './tracked-processes.mjs';

const MODES = {
  full: {
    rates: { call: [250, 500, 1000, 2000, 3000, 4000, 5000], options: [1000, 2000, 4000, 6000, 8000] },
    seconds: 10,
    quietWaitMs: 30_000,
    budgetMs: 25 * 60_000,
  },
  quick: {
    rates: { call: [500, 1000], options: [1000] },
    seconds: 3,
    quietWaitMs: 4_000,
    budgetMs: 110_000,
  },
};
const HOLD_MS = 1_000;
/** Other processes may use this much CPU (in cores) before a step starts. */
const QUIET_CORES = 0.25;
/** Start, quiet check, stop and parse, on top of the calls themselves. */
const STEP_OVERHEAD_MS = 8_000;
const TARGETS = /** @type {const} */ (['sipdispatch', 'kamailio', 'direct']);
const outDir = fileURLToPath(new URL('out/', import.meta.url));

const USAGE = `usage: npm run bench:e2e -- [--quick] [--targets sipdispatch,kamailio,direct]
       [--rates 250,500,...] [--options-rates 1000,...] [--seconds N] [--keep]
       [--sipdispatch-cli FILE] [--sipdispatch-config FILE]
  --quick     2 call rates and 1 OPTIONS rate, 3 s each: under 2 minutes
  --keep      keep each step's SIPp traces and proxy logs (their directory is printed)
  --sipdispatch-cli     the CLI to run on node (default dist/app/cli.js, built by npm run build)
  --sipdispatch-config  passed to it as --config
Results: printed, and written to bench/e2e/out/.`;

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    targets: { type: 'string', default: TARGETS.join(',') },
    rates: { type: 'string' },
    'options-rates': { type: 'string' },
    seconds: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'sipdispatch-cli': { type: 'string', default: defaultSipdispatchCli },
    'sipdispatch-config': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}

const mode = flags.quick ? MODES.quick : MODES.full;
const rates = { call: numbers(flags.rates) ?? mode.rates.call, options: numbers(flags['options-rates']) ?? mode.rates.options };
const seconds = numbers(flags.seconds)?.[0] ?? mode.seconds;
const sipdispatchCli = flags['sipdispatch-cli'];
const targets = flags.targets.split(',').filter((t) => /** @type {readonly string[]} */ (TARGETS).includes(t));

const sipp = findExecutable('sipp');
if (!sipp) {
  console.error('sipp not found. Install SIPp and Kamailio with: sudo apt-get install sip-tester kamailio');
  process.exit(2);
}
const kamailio = findExecutable('kamailio', ['/usr/sbin', '/usr/local/sbin', '/sbin']);
/** @type {string[]} */
const notes = [];
if (targets.includes('sipdispatch') && !existsSync(sipdispatchCli)) notes.push(`sipdispatch skipped: ${sipdispatchCli} does not exist yet (npm run build)`);
if (targets.includes('kamailio') && !kamailio) notes.push('Kamailio skipped: not installed (sudo apt-get install kamailio)');
const runnable = targets.filter((t) => (t === 'sipdispatch' ? existsSync(sipdispatchCli) : t === 'kamailio' ? kamailio !== undefined : true));
for (const note of notes) console.log(note);

const workDir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-e2e-'));
installExitCleanup(() => {
  if (!flags.keep) rmSync(workDir, { recursive: true, force: true });
});

const machine = describeMachine(sipp, kamailio);
const command = `npm run bench:e2e${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const deadline = Date.now() + mode.budgetMs;
/** @type {Awaited<ReturnType<typeof runStep>>[]} */
const rows = [];
/** @type {import('./report.mjs').FailedStep[]} */
const failures = [];

sweeps: for (const target of runnable) {
  for (const scenario of /** @type {const} */ (['call', 'options'])) {
    for (const rate of rates[scenario]) {
      if (Date.now() + seconds * 1_000 + HOLD_MS + STEP_OVERHEAD_MS > deadline) {
        notes.push(`time budget of ${mode.budgetMs / 1_000} s reached: stopped before ${target} ${scenario} at ${rate}/s`);
        break sweeps;
      }
      process.stdout.write(`${target} ${scenario} ${rate}/s for ${seconds} s ... `);
      try {
        const row = await runStep(
          { target, scenario, rate, seconds, holdMs: HOLD_MS },
          { sipp, kamailio, sipdispatchCli, sipdispatchConfig: flags['sipdispatch-config'], workDir, keep: flags.keep, quiet: { maxOtherCores: QUIET_CORES, maxWaitMs: mode.quietWaitMs } },
        );
        rows.push(row);
        console.log(`${row.successful} ok, ${row.failed} failed, setup p99 ${row.setupP99Ms.toFixed(2)} ms${row.pass ? '' : ': over the limit, next sweep'}`);
        // higher rates would only fail harder: leave the shared machine alone
        if (!row.pass) break;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.log(`error: ${message}`);
        failures.push({ target, scenario, rate, error: message });
        break;
      }
    }
  }
}

if (flags.keep) notes.push(`traces and logs kept in ${workDir}`);
const markdown = renderMarkdown({ machine, command, rows, failures, notes });
mkdirSync(outDir, { recursive: true });
const stamp = machine.date.replace(/[:.]/g, '-');
writeFileSync(join(outDir, `e2e-${stamp}.md`), markdown);
writeFileSync(join(outDir, `e2e-${stamp}.json`), `${JSON.stringify({ machine, command, rows, failures, notes }, null, 2)}\n`);
console.log(`\n${markdown}\nWritten to ${join(outDir, `e2e-${stamp}.md`)} (and .json)`);

/** @param {string | undefined} list */
function numbers(list) {
  if (list === undefined) return undefined;
  const parsed = list.split(',').map(Number);
  if (parsed.length === 0 || parsed.some((n) => !Number.isInteger(n) || n <= 0)) {
    console.error(`not a list of positive integers: ${list}\n${USAGE}`);
    process.exit(2);
  }
  return parsed;
}
