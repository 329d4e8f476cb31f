#!/usr/bin/env node
// End-to-end bench: SIPp call and OPTIONS rate sweeps through sipdispatch, then through
// Kamailio 5.6 configured the same way, then UAC -> UAS direct (the machine's ceiling).
// Loopback only, bounded in time; installs nothing. `npm run bench:e2e -- --help` for options.
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { medianRows } from './medians.mjs';
import { describeMachine, renderMarkdown } from './report.mjs';
import { runStep } from './run-step.mjs';
import { defaultSipdispatchCli, findExecutable, shebangNodeArgs } from './start-proxy.mjs';
import { installExitCleanup } from './tracked-processes.mjs';
import { WARMUP_MAX_RATE } from './warmup.mjs';

// --overload: the overload mode (issue 11), its own flags; see overload.mjs.
if (process.argv.includes('--overload')) {
  await import('./overload.mjs');
  process.exit(0);
}

const MODES = {
  full: {
    rates: { call: [250, 500, 1000, 2000, 3000, 4000, 5000], options: [1000, 2000, 4000, 6000, 8000] },
    seconds: 10,
    warmupS: 3,
    quietWaitMs: 30_000,
    budgetMs: 25 * 60_000,
  },
  quick: {
    rates: { call: [500, 1000], options: [1000] },
    seconds: 3,
    warmupS: 1,
    quietWaitMs: 4_000,
    budgetMs: 110_000,
  },
};
const HOLD_MS = 1_000;
/** Other processes may use this much CPU (in cores) before a step starts. */
const QUIET_CORES = 0.25;
/** Start, quiet check, stop and parse, on top of the calls themselves (and of the warm-up's). */
const STEP_OVERHEAD_MS = 8_000;
const TARGETS = /** @type {const} */ (['sipdispatch', 'kamailio', 'direct']);
const outDir = fileURLToPath(new URL('out/', import.meta.url));

const USAGE = `usage: npm run bench:e2e -- [--quick] [--targets sipdispatch,kamailio,direct]
       [--rates 250,500,...] [--options-rates 1000,...] [--seconds N] [--warmup N] [--runs N] [--keep]
       [--sipdispatch-cli FILE] [--sipdispatch-config FILE] [--sipdispatch-args "FLAGS"]
       [--node FILE] [--node-args "FLAGS"] [--plain-node] [--kamailio-hep HOST:PORT]
  --quick          2 call rates and 1 OPTIONS rate, 3 s each, 1 s warm-up: under 2 minutes
  --targets        which to sweep, in this order (default all three; direct is UAC -> UAS, the ceiling)
  --rates          call rates (calls/s) of the call sweep (default 250 to 5000; --quick 500,1000)
  --options-rates  rates of the OPTIONS sweep (default 1000 to 8000; --quick 1000)
  --seconds        how long each step offers calls (default 10; --quick 3)
  --warmup         unmeasured seconds of the same scenario at min(rate, ${WARMUP_MAX_RATE})/s before each step,
                   for every target alike (default 3; --quick 1; 0 disables)
  --runs           repeat the whole sweep N times and add tables of medians over the runs (default 1)
  --keep           keep each step's SIPp traces and proxy logs (their directory is printed)
  --sipdispatch-cli     the CLI to run on node (default dist/cli/cli.js, built by npm run build)
  --sipdispatch-config  passed to it as --config
  --sipdispatch-args    extra CLI flags, space-separated, appended (e.g. "--workers 2")
  --node           the node binary that runs sipdispatch (default: the one running this bench)
  --node-args      extra node flags, space-separated, put before the CLI (e.g. "--max-semi-space-size=32"),
                   after those of the CLI's own "#!/usr/bin/env -S node ..." line
  --plain-node     leave out the flags of the CLI's shebang (to measure what they change)
  --kamailio-hep   Kamailio runs siptrace (HEP v3, transaction mode) toward this collector
  --help           this text
  --overload       the overload mode instead: 1×, 1.5×, 2× the max sustainable rate, sipdispatch and
                   Kamailio side by side (its flags: npm run bench:e2e -- --overload --help)
Results: printed, and written to bench/e2e/out/ (markdown and JSON).`;
/** Options whose value is a list of flags: parseArgs takes a value starting with '-' only as --name=value. */
const FLAG_LISTS = ['--node-args', '--sipdispatch-args'];

const { values: flags } = parseArgs({
  args: joinFlagLists(process.argv.slice(2)),
  options: {
    quick: { type: 'boolean', default: false },
    targets: { type: 'string', default: TARGETS.join(',') },
    rates: { type: 'string' },
    'options-rates': { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    runs: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    'sipdispatch-cli': { type: 'string', default: defaultSipdispatchCli },
    'sipdispatch-config': { type: 'string' },
    'sipdispatch-args': { type: 'string', default: '' },
    node: { type: 'string', default: process.execPath },
    'node-args': { type: 'string', default: '' },
    'plain-node': { type: 'boolean', default: false },
    'kamailio-hep': { type: 'string' },
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
const warmupS = numbers(flags.warmup, 0)?.[0] ?? mode.warmupS;
const runs = numbers(flags.runs)?.[0] ?? 1;
const sipdispatchCli = flags['sipdispatch-cli'];
const targets = /** @type {import('./run-step.mjs').Target[]} */ (flags.targets.split(',').filter((t) => /** @type {readonly string[]} */ (TARGETS).includes(t)));
const sipdispatchNode = flags.node.includes('/') ? flags.node : findExecutable(flags.node);
if (targets.includes('sipdispatch') && (!sipdispatchNode || !isExecutable(sipdispatchNode))) {
  console.error(`--node ${flags.node}: not an executable file\n${USAGE}`);
  process.exit(2);
}
/** @type {import('./run-step.mjs').SipdispatchRun} */
const sipdispatch = {
  node: sipdispatchNode ?? process.execPath,
  nodeArgs: [...(flags['plain-node'] || !existsSync(sipdispatchCli) ? [] : shebangNodeArgs(sipdispatchCli)), ...words(flags['node-args'])],
  cli: sipdispatchCli,
  cliArgs: words(flags['sipdispatch-args']),
  config: flags['sipdispatch-config'],
};

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

const machine = describeMachine(sipp, kamailio, runnable.includes('sipdispatch') ? sipdispatch.node : undefined);
/** @type {import('./report.mjs').Setup} */
const setup = { runs, warmupS, warmupMaxRate: WARMUP_MAX_RATE, sipdispatch: runnable.includes('sipdispatch') ? sipdispatch : undefined };
const stepEnv = { sipp, kamailio, kamailioHep: flags['kamailio-hep'], sipdispatch, workDir, keep: flags.keep, quiet: { maxOtherCores: QUIET_CORES, maxWaitMs: mode.quietWaitMs } };
const stepMs = (seconds + warmupS) * 1_000 + (warmupS > 0 ? 2 : 1) * HOLD_MS + STEP_OVERHEAD_MS;
const shellWord = (/** @type {string} */ arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
const command = `npm run bench:e2e${process.argv.length > 2 ? ` -- ${process.argv.slice(2).map(shellWord).join(' ')}` : ''}`;
const budgetMs = mode.budgetMs * runs;
const deadline = Date.now() + budgetMs;
/** @type {Awaited<ReturnType<typeof runStep>>[]} */
const rows = [];
/** @type {import('./report.mjs').FailedStep[]} */
const failures = [];

for (let run = 1; run <= runs; run++) {
  if (runs > 1) console.log(`run ${run} of ${runs}`);
  if (!(await sweep(run))) break;
}

if (flags.keep) notes.push(`traces and logs kept in ${workDir}`);
const medians = medianRows(rows, runs);
const markdown = renderMarkdown({ machine, command, setup, rows, medians, failures, notes });
mkdirSync(outDir, { recursive: true });
const stamp = machine.date.replace(/[:.]/g, '-');
writeFileSync(join(outDir, `e2e-${stamp}.md`), markdown);
writeFileSync(join(outDir, `e2e-${stamp}.json`), `${JSON.stringify({ machine, command, setup, rows, medians, failures, notes }, null, 2)}\n`);
console.log(`\n${markdown}\nWritten to ${join(outDir, `e2e-${stamp}.md`)} (and .json)`);

/**
 * A comma-separated list of whole numbers of at least min; exits with the usage if it is not.
 * @param {string | undefined} list @param {number} min
 */
function numbers(list, min = 1) {
  if (list === undefined) return undefined;
  const parsed = list.split(',').map(Number);
  if (parsed.some((n) => !Number.isInteger(n) || n < min)) {
    console.error(`not a list of integers ≥ ${min}: ${list}\n${USAGE}`);
    process.exit(2);
  }
  return parsed;
}

/**
 * One pass over every target, scenario and rate. A step over the limit ends its sweep (higher
 * rates would only fail harder: leave the shared machine alone); an error ends it too, noted.
 * Returns false once the time budget is spent.
 * @param {number} run
 */
async function sweep(run) {
  for (const target of runnable) {
    for (const scenario of /** @type {const} */ (['call', 'options'])) {
      for (const rate of rates[scenario]) {
        if (Date.now() + stepMs > deadline) {
          notes.push(`time budget of ${budgetMs / 1_000} s reached: stopped before ${runs > 1 ? `run ${run} ` : ''}${target} ${scenario} at ${rate}/s`);
          return false;
        }
        if (!(await runOne({ run, target, scenario, rate, seconds, holdMs: HOLD_MS, warmupS }))) break;
      }
    }
  }
  return true;
}

/**
 * Runs one step and records its row or its error; true when the sweep may go on to the next rate.
 * @param {import('./run-step.mjs').Step} step
 */
async function runOne(step) {
  process.stdout.write(`${step.target} ${step.scenario} ${step.rate}/s for ${step.seconds} s ... `);
  try {
    const row = await runStep(step, stepEnv);
    rows.push(row);
    const ms = (/** @type {number} */ value) => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : '–');
    const latencies = step.scenario === 'call' ? `, INVITE→180 p99 ${ms(row.ringP99Ms)}, BYE→200 p99 ${ms(row.byeP99Ms)}` : '';
    console.log(`${row.successful} ok, ${row.failed} failed, setup p99 ${ms(row.setupP99Ms)}${latencies}${row.pass ? '' : ': over the limit, next sweep'}`);
    return row.pass;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.log(`error: ${message}`);
    failures.push({ run: step.run, target: step.target, scenario: step.scenario, rate: step.rate, error: message });
    return false;
  }
}

/** --name VALUE becomes --name=VALUE for the flag-list options. @param {string[]} argv */
function joinFlagLists(argv) {
  const joined = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = /** @type {string} */ (argv[i]);
    if (FLAG_LISTS.includes(arg) && i + 1 < argv.length) joined.push(`${arg}=${argv[++i]}`);
    else joined.push(arg);
  }
  return joined;
}

/** Space-separated words, none when empty. @param {string} text */
function words(text) {
  return text.split(/\s+/).filter(Boolean);
}

/** @param {string} file */
function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
