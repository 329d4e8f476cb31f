#!/usr/bin/env node
// Edge security under flood, on loopback: (1) one source (127.0.0.66) sends OPTIONS as fast as it
// can; it is banned after 16 and every later request is dropped before parsing: proxy CPU per
// dropped request, drops per second, RSS. (2) 200,000 requests from distinct sources (one per
// loopback address 127.x.y.z, bound in turn): RSS growth with the bounded per-source tables.
// Bounded in count; stops by itself.   node bench/edge/flood.mjs [--requests 300000]
//   [--sources 200000] [--rate 0] [--answer 0|200|404] [--calls 0] [--config 'max_transactions: 5000']
//   [--snapshots [--settle 0]] [--top 25] [--node=--trace-gc --proxy-log FILE]
// --answer: the destination answers every request with that status (a healthy farm: the
// transactions complete and wait out wait_timer); 0 (default) = silent. --calls N: meanwhile a
// trusted SIPp (127.0.0.10) places N calls at 100/s, which the destination answers (then it is
// bench/edge/answering-farm.mjs even with --answer 0: silent to the flood only). --rate: the
// distinct sources' requests per second (0 = as fast as the sender goes).
// --snapshots: heap snapshots of the proxy before and after the distinct sources (a few seconds
// each), and what grew, per transaction pair left alive. --settle MS: wait that long after the RSS
// reading before the second snapshot (e.g. past fr_timer, so no request is still pending) and
// count the pairs alive right then. The proxy runs with the flags of the CLI's shebang; --node: more
// Node/V8 flags (space-separated). --proxy-log: the proxy's stdout and stderr go to FILE (e.g.
// --trace-gc's lines, one per collection and thread: which heap grew).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../e2e/free-ports.mjs';
import { shebangNodeArgs } from '../e2e/start-proxy.mjs';
import { printGrowth, summarise } from './heap-summary.mjs';

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '300000' },
    sources: { type: 'string', default: '200000' },
    answer: { type: 'string', default: '0' },
    calls: { type: 'string', default: '0' },
    rate: { type: 'string', default: '0' },
    config: { type: 'string', default: '' },
    snapshots: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    settle: { type: 'string', default: '0' },
    node: { type: 'string', default: '' },
    'proxy-log': { type: 'string', default: '' },
  },
});
const cli = fileURLToPath(new URL('../../dist/cli/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-edge-'));
const port = await freePort();
const http = await freePort();
const farmPort = await freePort();
const calls = Number(flags.calls);
const farm = Number(flags.answer) > 0 || calls > 0 ? await startResponder(farmPort, Number(flags.answer)) : undefined;
writeFileSync(join(dir, 'dispatcher.list'), `1 sip:127.0.0.1:${farmPort} 0 0\n`);
writeFileSync(join(dir, 'config.yaml'), `ds_ping_interval: 0\nlog_level: error\ntrusted: [127.0.0.10/32]\n${flags.config.replaceAll('\\n', '\n')}\n`);
const proxyLog = flags['proxy-log'] ? openSync(flags['proxy-log'], 'w') : undefined;
const snapshotArgs = flags.snapshots ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] : [];
const proxy = spawn(process.execPath, [...shebangNodeArgs(cli), ...flags.node.split(' ').filter(Boolean), ...snapshotArgs, cli, '--list', join(dir, 'dispatcher.list'), '--config', join(dir, 'config.yaml'), '--listen', `udp:127.0.0.1:${port}`, '--http', `127.0.0.1:${http}`], { stdio: proxyLog === undefined ? 'ignore' : ['ignore', proxyLog, proxyLog] });
process.on('exit', () => proxy.kill('SIGTERM'));
await waitReady();

const cpuS = () => {
  const f = readFileSync(`/proc/${proxy.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proxy.pid}/status`, 'utf8'))[1]) / 1024;
/** The main thread's V8 heap used and total, and external memory, from prom-client's default metrics (MB). */
const heapMb = async () => {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  const read = (name) => Number(text.split('\n').find((l) => l.startsWith(name + ' '))?.split(' ').at(-1) ?? NaN) / 2 ** 20;
  return [read('nodejs_heap_size_used_bytes'), read('nodejs_heap_size_total_bytes'), read('nodejs_external_memory_bytes')].map((v) => v.toFixed(0));
};
const metric = async (name, label) => {
  const text = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(label));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

try {
  const rss0 = rssMb();
  const cpu0 = cpuS();
  const t0 = Date.now();
  const sent = await floodOne('127.0.0.66', Number(flags.requests));
  await new Promise((r) => setTimeout(r, 500));
  const seconds = (Date.now() - t0) / 1000;
  const cpu = cpuS() - cpu0;
  const banned = await metric('sipdispatch_dropped_total', 'reason="banned"');
  console.log(`one source: ${sent} OPTIONS in ${seconds.toFixed(1)} s; dropped as banned ${banned} (${(banned / seconds).toFixed(0)}/s); proxy CPU ${cpu.toFixed(2)} s = ${((cpu / banned) * 1e6).toFixed(2)} µs per dropped request, ${((cpu / seconds) * 100).toFixed(0)} % of a core; RSS ${rss0.toFixed(0)} → ${rssMb().toFixed(0)} MB`);

  const activeBefore = await metric('sipdispatch_transactions_active', '');
  const before = flags.snapshots ? await snapshot() : undefined;
  const heap1 = await heapMb();
  const rss1 = rssMb();
  const t1 = Date.now();
  const caller = calls > 0 ? placeCalls(calls) : undefined;
  const n = await floodDistinct(Number(flags.sources), Number(flags.rate));
  await new Promise((r) => setTimeout(r, 500));
  const rss2 = rssMb();
  const heap2 = await heapMb();
  const tracked = await metric('sipdispatch_edge_tracked_sources', '');
  const evicted = await metric('sipdispatch_edge_evictions_total', '');
  const active = await metric('sipdispatch_transactions_active', '');
  const shed = await metric('sipdispatch_shed_requests_total', 'method="OPTIONS"');
  const ended = await metric('sipdispatch_transactions_completed_evicted_total', '');
  console.log(`distinct sources (destination ${farm ? `answering ${flags.answer}, ${await farm.answered()} answered` : 'silent'}): ${n} requests from ${n} addresses in ${((Date.now() - t1) / 1000).toFixed(1)} s; tracked ${tracked}, evicted ${evicted}; transactions alive ${active}, shed ${shed}, answered ones ended early ${ended}; RSS ${rss1.toFixed(0)} → ${rss2.toFixed(0)} MB (+${(rss2 - rss1).toFixed(0)} MB)`);
  console.log(`main thread's V8 heap used/total, external: ${heap1.join('/')} → ${heap2.join('/')} MB`);
  if (caller) {
    const c = await caller;
    console.log(`trusted calls meanwhile: ${c.successful} of ${calls} successful, ${c.failed} failed; RSS at the end ${rssMb().toFixed(0)} MB`);
  }
  if (before) {
    await new Promise((r) => setTimeout(r, Number(flags.settle)));
    const alive = Number(flags.settle) > 0 ? await metric('sipdispatch_transactions_active', '') : active;
    if (alive !== active) console.log(`transactions alive at the second snapshot: ${alive}`);
    printGrowth(before, await snapshot(), Math.max(1, (alive - activeBefore) / 2), Number(flags.top), 'pair');
  }
} finally {
  proxy.kill('SIGTERM');
  farm?.close();
}

/** Signals the proxy to write a heap snapshot and summarises it once complete (V8 writes it in chunks). */
async function snapshot() {
  const seen = new Set(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')));
  process.kill(proxy.pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !seen.has(f));
    if (!file) continue;
    try {
      const summary = summarise(join(dir, file));
      rmSync(join(dir, file));
      return summary;
    } catch {
      // still being written
    }
  }
  throw new Error('no heap snapshot written');
}

/** bench/edge/answering-farm.mjs on `farmPort`, in its own process. */
async function startResponder(farmPort, status) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./answering-farm.mjs', import.meta.url)), String(farmPort), String(status)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  child.stdout.setEncoding('utf8').on('data', (d) => lines.push(...d.split('\n').filter(Boolean)));
  while (!lines.includes('ready')) await new Promise((r) => setTimeout(r, 20));
  const answered = async () => {
    const n = lines.length;
    child.kill('SIGUSR2');
    while (lines.length === n) await new Promise((r) => setTimeout(r, 20));
    return Number(lines.at(-1).split(' ')[1]);
  };
  process.on('exit', () => child.kill('SIGTERM'));
  return { answered, close: () => child.kill('SIGTERM') };
}
async function floodOne(address, count) {
  const socket = dgram.createSocket('udp4');
  await new Promise((r) => socket.bind(0, address, r));
  const bytes = (i) => Buffer.from(`OPTIONS sip:1000@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP ${address}:${socket.address().port};branch=z9hG4bK-${i}\r\nMax-Forwards: 70\r\nFrom: <sip:f@${address}>;tag=${i}\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: f-${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
  for (let i = 0; i < count; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => new Promise((r) => socket.send(bytes(i + k), port, '127.0.0.1', r))));
  }
  socket.close();
  return count;
}

/** SIPp from the trusted 127.0.0.10: `count` calls at 100/s (test/fixtures/sipp/uac.xml); its final counters. */
async function placeCalls(count) {
  const sippPort = await freePort();
  const stat = join(dir, 'calls.csv');
  const child = spawn('sipp', [`127.0.0.1:${port}`, '-sf', fileURLToPath(new URL('../../test/fixtures/sipp/uac.xml', import.meta.url)), '-i', '127.0.0.10', '-p', String(sippPort), '-cp', String(await freePort()), '-mp', String(await freePort()), '-m', String(count), '-r', '100', '-l', '500', '-d', '0', '-timeout', '300s', '-timeout_error', '-trace_stat', '-stf', stat, '-nostdin'], { cwd: dir, stdio: 'ignore' });
  process.on('exit', () => child.kill('SIGKILL'));
  await new Promise((r) => child.on('exit', r));
  const [header, ...rows] = readFileSync(stat, 'utf8').trim().split('\n').map((l) => l.split(';'));
  const last = rows.at(-1);
  const col = (name) => Number(last[header.indexOf(name)]);
  return { successful: col('SuccessfulCall(C)'), failed: Math.max(col('FailedCall(C)'), col('TotalCallCreated') - col('SuccessfulCall(C)')) };
}

async function floodDistinct(count, rate) {
  let sent = 0;
  const t0 = Date.now();
  for (let i = 0; i < count; i += 500) {
    if (rate > 0) await new Promise((r) => setTimeout(r, Math.max(0, t0 + (i / rate) * 1000 - Date.now())));
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, async (_, k) => {
      const n = i + k + 1000;
      const address = `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255 || 1}`;
      const socket = dgram.createSocket('udp4');
      await new Promise((r, j) => { socket.once('error', j); socket.bind(0, address, r); }).catch(() => undefined);
      await new Promise((r) => socket.send(Buffer.from(`OPTIONS sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${address}:5060;branch=z9hG4bK-d${n}\r\nFrom: <sip:a@${address}>;tag=1\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: d${n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`), port, '127.0.0.1', r));
      socket.close();
      sent++;
    }));
  }
  return sent;
}

async function waitReady() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${http}/health`)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('sipdispatch did not start');
}
