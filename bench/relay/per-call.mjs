// The relay hot path in process, per call: `npm run build && node --expose-gc bench/relay/per-call.mjs`
//   [--calls 20000] [--rounds 5] [--warmup 5000] [--alloc-calls 2000] [--retain-calls 5000]
//   [--bare] [--json] [--profile FILE]
// Real Dispatcher (2 destinations, algorithm 4), TransactionLayer, Relay and MessageReceiver from
// dist/, sockets replaced by an in-memory wire; each call is SIPp's uac.xml/uas.xml exchange
// (sipp-call.mjs). Prints CPU µs per call (process.cpuUsage, best and median of the rounds), JS heap
// bytes allocated per call (sampling heap profiler, objects collected by GC included), both less
// the driver's own share (replay-harness.mjs), bytes retained per call while the transactions wait
// out wait_timer, the top allocation sites and the top self-time functions of one profiled round.
// --bare: no metrics / event logging subscribed.
// Allocation sites: V8 charges what TurboFan inlined to the caller; `node --no-turbo-inlining`
// names the allocating function exactly (the figures then differ from the real build's).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createProxyHarness } from './proxy-harness.mjs';
import { sampledBytes, summarizeAllocations, summarizeCpu } from './profile-summary.mjs';
import { createReplayHarness, recordCall } from './replay-harness.mjs';
import { SippCall } from './sipp-call.mjs';

const { values: opt } = parseArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '5000' },
    'alloc-calls': { type: 'string', default: '2000' },
    'retain-calls': { type: 'string', default: '5000' },
    bare: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const positive = (name) => {
  const v = Number(opt[name]);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const CALLS = positive('calls');
const ROUNDS = positive('rounds');
const WARMUP = positive('warmup');
const ALLOC_CALLS = positive('alloc-calls');
const RETAIN_CALLS = positive('retain-calls');
if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc: node --expose-gc bench/relay/per-call.mjs');
  process.exit(2);
}
const gc = () => {
  globalThis.gc();
  globalThis.gc();
};

const session = new Session();
session.connect();
const post = (method, params = {}) => new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));

const harness = await createProxyHarness({ observed: !opt.bare });
const { config, scheduler, transactions, wire } = harness;
const call = new SippCall(harness);
// Past every timer a finished call can leave (Timer C is the longest): the call's transactions end.
const EXPIRE_MS = config.fr_inv_timer + 64 * config.t1;
let n = 0;

/** `count` calls; `expire`: let each call's absorbing timers fire before the next, as in a steady state. */
async function play(count, expire = true) {
  for (let i = 0; i < count; i++) {
    await call.run(++n);
    if (!expire) continue;
    scheduler.advance(EXPIRE_MS);
    if (transactions.activeCount !== 0) throw new Error(`call ${n}: ${transactions.activeCount} transactions left after expiry`);
  }
  if (harness.logs.lines > 0) throw new Error(`the hot path logged ${harness.logs.lines} lines, first: ${harness.logs.first}`);
}

let replayed;
/** `count` calls of the driver alone, against a replay of one recorded call. */
async function playDriver(count) {
  for (let i = 0; i < count; i++) await replayed.run(++n);
}

/** CPU µs per call of `round()` (CALLS calls), best and median of ROUNDS. */
async function cpuRounds(round) {
  const perCall = [];
  for (let r = 0; r < ROUNDS; r++) {
    gc();
    const t0 = process.cpuUsage();
    await round();
    const used = process.cpuUsage(t0);
    perCall.push((used.user + used.system) / CALLS);
  }
  const sorted = [...perCall].sort((a, b) => a - b);
  return { best: sorted[0], median: sorted[Math.floor(sorted.length / 2)], rounds: perCall };
}

async function cpuProfile() {
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  gc();
  await post('Profiler.start');
  await play(CALLS);
  const { profile } = await post('Profiler.stop');
  await post('Profiler.disable');
  if (opt.profile) writeFileSync(opt.profile, JSON.stringify(profile));
  return summarizeCpu(profile, CALLS);
}

const SAMPLING = { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };

/** Refuses a V8 whose sampler ignores the include* flags (it would count only survivors). */
async function checkSampler() {
  const arrays = 20_000;
  const floor = arrays * 256 * 4;
  await post('HeapProfiler.startSampling', SAMPLING);
  const garbage = [];
  for (let i = 0; i < arrays; i++) {
    garbage.push(new Array(256).fill(i));
    if (garbage.length === 100) garbage.length = 0;
  }
  gc();
  const { profile } = await post('HeapProfiler.stopSampling');
  const seen = sampledBytes(profile);
  if (seen < 0.8 * floor) {
    throw new Error(`the heap sampler saw ${seen} of at least ${floor} bytes of garbage: this V8 ignores includeObjectsCollectedBy*GC`);
  }
}

async function sampleAllocations(round) {
  gc();
  await post('HeapProfiler.startSampling', SAMPLING);
  await round();
  const { profile } = await post('HeapProfiler.stopSampling');
  return summarizeAllocations(profile, ALLOC_CALLS);
}

/** JS heap bytes per call (the whole call, and the driver alone) and the proxy's top sites. */
async function allocations() {
  await post('HeapProfiler.enable');
  await checkSampler();
  const whole = await sampleAllocations(() => play(ALLOC_CALLS));
  const driver = await sampleAllocations(() => playDriver(ALLOC_CALLS));
  await post('HeapProfiler.disable');
  return { total: whole.bytesPerCall, driver: driver.bytesPerCall, proxy: whole.bytesPerCall - driver.bytesPerCall, sites: whole.sites };
}

/** Heap and off-heap growth while RETAIN_CALLS finished calls sit in their absorbing states. */
async function retained() {
  gc();
  const before = process.memoryUsage();
  await play(RETAIN_CALLS, false);
  const held = { transactions: transactions.activeCount / RETAIN_CALLS, timers: scheduler.pending / RETAIN_CALLS };
  gc();
  const during = process.memoryUsage();
  scheduler.advance(EXPIRE_MS);
  if (transactions.activeCount !== 0) throw new Error(`${transactions.activeCount} transactions left after expiry`);
  gc();
  const after = process.memoryUsage();
  const per = (a, b, key) => (a[key] - b[key]) / RETAIN_CALLS;
  return {
    heap: per(during, before, 'heapUsed'),
    external: per(during, before, 'external'),
    arrayBuffers: per(during, before, 'arrayBuffers'),
    heapAfterExpiry: per(after, before, 'heapUsed'),
    ...held,
  };
}

/** What was measured: the commit, uncommitted src/ files, and src/ files newer than their dist/ build. */
function buildState() {
  const root = new URL('../../', import.meta.url);
  const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let stale = 0;
  for (const file of readdirSync(new URL('src/', root), { recursive: true })) {
    if (!file.endsWith('.ts')) continue;
    const built = new URL(`dist/${file.replace(/\.ts$/, '.js')}`, root);
    if (!existsSync(built) || statSync(new URL(`src/${file}`, root)).mtimeMs > statSync(built).mtimeMs) stale++;
  }
  try {
    return { commit: git('log', '-1', '--format=%h'), uncommitted: git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length, stale };
  } catch {
    return { commit: 'unknown', uncommitted: -1, stale };
  }
}

await play(WARMUP);
replayed = new SippCall(createReplayHarness(await recordCall(harness, ++n)));
scheduler.advance(EXPIRE_MS);
await playDriver(WARMUP);
const cpu = await cpuRounds(() => play(CALLS));
const driverCpu = await cpuRounds(() => playDriver(CALLS));
const topSelf = await cpuProfile();
const alloc = await allocations();
call.fedBytes = 0;
wire.sentBytes = 0;
const mem = await retained();
const bytesPerCall = { fed: call.fedBytes / RETAIN_CALLS, sent: wire.sentBytes / RETAIN_CALLS };
harness.close();
session.disconnect();

const picked = [...call.picks.values()];
if (Math.max(...picked) - Math.min(...picked) > 1) throw new Error(`round robin is uneven: ${picked.join(' / ')}`);
const result = {
  node: process.version,
  date: new Date().toISOString(),
  ...buildState(),
  load: loadavg().map((l) => Number(l.toFixed(2))),
  observed: !opt.bare,
  calls: CALLS,
  rounds: ROUNDS,
  cpuUsPerCall: cpu,
  driverCpuUsPerCall: driverCpu,
  proxyCpuUsPerCall: { best: cpu.best - driverCpu.best, median: cpu.median - driverCpu.median },
  allocBytesPerCall: { total: alloc.total, driver: alloc.driver, proxy: alloc.proxy },
  retainedBytesPerCall: mem,
  bufferBytesPerCall: bytesPerCall,
  messageSizes: call.sizes,
  topAllocations: alloc.sites,
  topSelfTime: topSelf,
};
if (opt.json) {
  console.log(JSON.stringify(result));
} else {
  printTables(result);
}

function printTables(r) {
  const kb = (b) => (b / 1024).toFixed(2);
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const dirty = r.uncommitted > 0 ? ` + ${r.uncommitted} uncommitted files in src/` : '';
  const stale = r.stale > 0 ? ` (WARNING: ${r.stale} src/ files newer than dist/: npm run build)` : '';
  console.log(`node ${r.node}, ${r.date}, git ${r.commit}${dirty}${stale}, load ${r.load.join(' ')}, ${r.observed ? 'metrics + event logging subscribed' : 'bare (no subscribers)'}`);
  console.log(`INVITE ${r.messageSizes[0]} B, 200 with SDP ${r.messageSizes[3]} B; ${r.rounds} rounds × ${r.calls} calls after ${WARMUP} warm-up calls\n`);
  console.log('| per call | value |\n|---|---|');
  const us = (c) => `${c.best.toFixed(1)} / ${c.median.toFixed(1)} µs`;
  console.log(`| CPU of the proxy (call − driver), best / median round | **${us(r.proxyCpuUsPerCall)}** (${Math.round(1e6 / r.proxyCpuUsPerCall.best)} calls per CPU-second) |`);
  console.log(`| CPU of the whole call / of the driver alone (replayed call) | ${us(r.cpuUsPerCall)} / ${us(r.driverCpuUsPerCall)} |`);
  const a = r.allocBytesPerCall;
  console.log(`| JS heap allocated by the proxy (whole call − driver alone) | **${kb(a.proxy)} KB** (${kb(a.total)} − ${kb(a.driver)}), ${ALLOC_CALLS} calls sampled every 256 B |`);
  console.log(`| Buffer bytes sent by the proxy / fed by the driver | ${Math.round(r.bufferBytesPerCall.sent)} / ${Math.round(r.bufferBytesPerCall.fed)} B |`);
  const m = r.retainedBytesPerCall;
  console.log(`| retained in wait_timer: heap / external (of which arrayBuffers) | **${Math.round(m.heap)}** / ${Math.round(m.external)} (${Math.round(m.arrayBuffers)}) B, ${RETAIN_CALLS} calls |`);
  console.log(`| held per call: transactions / timers | ${m.transactions} / ${m.timers} |`);
  console.log(`| heap left once the timers fired | ${Math.round(m.heapAfterExpiry)} B |`);
  console.log('\n| top allocation sites (proxy) | KB per call |\n|---|---|');
  for (const s of r.topAllocations) console.log(`| ${s.site} | ${kb(s.bytesPerCall)} |`);
  console.log('\n| top self time (one profiled round) | µs per call | share |\n|---|---|---|');
  for (const f of r.topSelfTime) console.log(`| ${f.fn} | ${f.usPerCall.toFixed(2)} | ${pct(f.share)} |`);
}
