#!/usr/bin/env node
// Memory under a long load: one proxy (sipdispatch or Kamailio), two SIPp UAS backends and one
// SIPp UAC placing calls at a fixed rate with a hold time, the proxy's RSS sampled at a fixed
// interval. Bounded: the UAC places at most --calls calls and everything stops after --max-seconds.
// Examples (see bench/RESULTS.md, "Tuning"):
//   10,000 calls in progress:  node bench/e2e/hold.mjs --rate 100 --hold-ms 100000 --calls 10000 --max-seconds 130
//   10-minute soak:            node bench/e2e/hold.mjs --rate 1000 --hold-ms 1000 --calls 600000 --max-seconds 630
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freeMediaPort, freePort } from './free-ports.mjs';
import { cpuTicksOf, CLOCK_TICKS } from './proc-stats.mjs';
import { scenarioPath, startUas } from './sipp-processes.mjs';
import { defaultSipdispatchCli, findExecutable, shebangNodeArgs, startKamailio, startSipdispatch } from './start-proxy.mjs';
import { installExitCleanup, spawnTracked, stopTracked } from './tracked-processes.mjs';

const USAGE = `usage: node bench/e2e/hold.mjs [--target sipdispatch|kamailio] --rate N --hold-ms MS --calls N
       [--limit N] [--max-seconds S] [--sample-seconds S] [--sipdispatch-cli FILE] [--keep]`;
const { values: flags } = parseArgs({
  options: {
    target: { type: 'string', default: 'sipdispatch' },
    rate: { type: 'string' },
    'hold-ms': { type: 'string' },
    calls: { type: 'string' },
    limit: { type: 'string' },
    'max-seconds': { type: 'string', default: '660' },
    'sample-seconds': { type: 'string', default: '10' },
    'sipdispatch-cli': { type: 'string', default: defaultSipdispatchCli },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help || !flags.rate || !flags['hold-ms'] || !flags.calls) {
  console.log(USAGE);
  process.exit(flags.help ? 0 : 2);
}
const rate = Number(flags.rate);
const holdMs = Number(flags['hold-ms']);
const calls = Number(flags.calls);
const limit = Number(flags.limit ?? calls);
const maxSeconds = Number(flags['max-seconds']);
const sampleSeconds = Number(flags['sample-seconds']);
const sipp = findExecutable('sipp');
if (!sipp) throw new Error('sipp not found (apt-get install sip-tester)');

installExitCleanup();
const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-hold-'));
const taken = new Set();
const ports = { proxy: await freePort(taken), http: await freePort(taken), uac: await freePort(taken) };
const started = [];
try {
  const uasPorts = [];
  for (const name of ['uas1', 'uas2']) {
    const port = await freePort(taken);
    uasPorts.push(port);
    started.push(await startUas({ sipp, scenario: scenarioPath('uas'), name, port, controlPort: await freePort(taken), mediaPort: await freeMediaPort(taken), dir }));
  }
  const listFile = join(dir, 'dispatcher.list');
  writeFileSync(listFile, uasPorts.map((port) => `1 sip:127.0.0.1:${port} 8 0\n`).join(''));
  const proxy =
    flags.target === 'kamailio'
      ? await startKamailio({ kamailio: findExecutable('kamailio', ['/usr/sbin']) ?? 'kamailio', port: ports.proxy, listFile, dir })
      : await startSipdispatch({ cli: flags['sipdispatch-cli'], nodeArgs: shebangNodeArgs(flags['sipdispatch-cli']), port: ports.proxy, httpPort: ports.http, listFile, dir });
  started.push(proxy);
  const uac = spawnTracked(sipp, [
    `127.0.0.1:${ports.proxy}`, '-sf', scenarioPath('uac'), '-t', 'u1', '-i', '127.0.0.1', '-p', String(ports.uac),
    '-cp', String(await freePort(taken)), '-mp', String(await freeMediaPort(taken)), '-nostdin', '-buff_size', String(4 * 1024 * 1024),
    '-m', String(calls), '-r', String(rate), '-l', String(limit), '-d', String(holdMs),
    '-timeout', `${maxSeconds}s`, '-trace_stat', '-fd', String(sampleSeconds), '-stf', 'uac.csv',
  ], { cwd: dir, logFile: join(dir, 'uac.out') });
  started.push(uac);
  await sample(proxy, uac);
} finally {
  await Promise.all(started.map((tracked) => stopTracked(tracked)));
  if (flags.keep) console.log(`kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

/** One line per sample: elapsed s, proxy RSS MB, proxy CPU % of a core since the last sample, UAC counters. */
async function sample(proxy, uac) {
  const pids = () => proxy.members().map((ref) => ref.pid);
  const t0 = Date.now();
  let lastTicks = cpuTicksOf(pids());
  let done = false;
  uac.exited.then(() => (done = true));
  console.log('elapsed_s rss_mb proxy_cpu_pct uac_current_calls uac_successful uac_failed');
  while (!done && Date.now() - t0 < maxSeconds * 1_000) {
    await new Promise((resolve) => setTimeout(resolve, sampleSeconds * 1_000));
    const ticks = cpuTicksOf(pids());
    const cpuPct = (100 * (ticks - lastTicks)) / CLOCK_TICKS / sampleSeconds;
    lastTicks = ticks;
    const uacRow = lastCsvRow(join(dir, 'uac.csv'));
    console.log([Math.round((Date.now() - t0) / 1_000), rssMb(pids()).toFixed(1), cpuPct.toFixed(0), uacRow.CurrentCall, uacRow['SuccessfulCall(C)'], uacRow['FailedCall(C)']].join(' '));
  }
}

/** Sum of VmRSS of the processes, MB. */
function rssMb(pids) {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

/** The UAC's latest statistics row as a record (SIPp's -trace_stat CSV, ';'-separated). */
function lastCsvRow(file) {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const head = lines[0]?.split(';') ?? [];
    const row = lines.at(-1)?.split(';') ?? [];
    return Object.fromEntries(head.map((name, i) => [name, row[i]]));
  } catch {
    return {};
  }
}
