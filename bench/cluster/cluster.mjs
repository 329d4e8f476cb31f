// The cluster's figures (issue 16), on loopback with a private redis-server:
//  1. one prober per destination: OPTIONS each responder receives over a window, 3 instances,
//     ds_ping_interval 1 s (distributed probing) — and how many instances sent them;
//  2. propagation: set_state toggles on one instance, time until the two others show the state
//     (polled over their admin API) — p50 / p99 / max;
//  3. CPU per call of one sipdispatch at a fixed rate with algorithm 10, cluster off vs on
//     (Redis configured: heartbeats, load publication), alternating runs, medians.
// Usage: npm run build && node bench/cluster/cluster.mjs [--window 20] [--toggles 100] [--rate 900] [--seconds 10] [--runs 2]
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeMediaPort, freePort } from '../e2e/free-ports.mjs';
import { median } from '../e2e/medians.mjs';
import { CLOCK_TICKS, readProcStat } from '../e2e/proc-stats.mjs';
import { scenarioPath, startUac, startUas } from '../e2e/sipp-processes.mjs';
import { percentile } from '../e2e/sipp-traces.mjs';
import { defaultSipdispatchCli, findExecutable, startSipdispatch } from '../e2e/start-proxy.mjs';
import { installExitCleanup, stopTracked } from '../e2e/tracked-processes.mjs';
import { startRedis } from './redis-process.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const WINDOW_S = arg('window', 20);
const TOGGLES = arg('toggles', 100);
const RATE = arg('rate', 900);
const SECONDS = arg('seconds', 10);
const RUNS = arg('runs', 2);

installExitCleanup();
const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-cluster-'));
const taken = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A UDP responder answering every OPTIONS 200 and counting them by sender port. */
async function responder() {
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  const counts = new Map();
  socket.on('message', (buf, rinfo) => {
    const text = buf.toString('latin1');
    if (!text.startsWith('OPTIONS ')) return;
    counts.set(rinfo.port, (counts.get(rinfo.port) ?? 0) + 1);
    const keep = text.split('\r\n').filter((l) => /^(via|from|to|call-id|cseq):/i.test(l));
    socket.send(Buffer.from(['SIP/2.0 200 OK', ...keep, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1'), rinfo.port, '127.0.0.1');
  });
  return { socket, port: socket.address().port, counts };
}

async function instance(name, list, config) {
  const port = await freePort(taken);
  const httpPort = await freePort(taken);
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'dispatcher.list'), list);
  writeFileSync(join(sub, 'sipdispatch.yaml'), config);
  const proxy = await startSipdispatch({ cli: defaultSipdispatchCli, port, httpPort, listFile: join(sub, 'dispatcher.list'), configFile: join(sub, 'sipdispatch.yaml'), dir: sub });
  return { proxy, port, httpPort };
}

const api = (i, path, body) => fetch(`http://127.0.0.1:${i.httpPort}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());

async function stateOf(i, uri) {
  const body = await api(i, '/dispatcher');
  return body.sets.flatMap((s) => s.destinations).find((d) => d.uri === uri)?.state;
}

async function probingAndPropagation(url, redisPid) {
  const farm = [await responder(), await responder(), await responder()];
  const list = farm.map((f, i) => `1 sip:127.0.0.1:${f.port} 0 0 duid=f${i + 1}`).join('\n');
  const config = (n) => ['ds_ping_interval: 1', 'ds_probing_mode: 1', 'drain_timeout: 500', 'log_level: warn', 'cluster:', `  redis: ${url}`, `  node_id: bench${n}`, '  key_prefix: "bench:"'].join('\n');
  const nodes = [];
  for (let n = 1; n <= 3; n++) nodes.push(await instance(`node${n}`, list, config(n)));
  console.error('  three instances up');
  for (;;) {
    const seen = await Promise.all(nodes.map((i) => fetch(`http://127.0.0.1:${i.httpPort}/health`).then((r) => r.json())));
    if (seen.every((h) => h.cluster?.members === 3)) break;
    await sleep(100);
  }
  console.error('  three members everywhere');
  await sleep(2_500);
  for (const f of farm) f.counts.clear();
  await sleep(WINDOW_S * 1000);
  const probing = farm.map((f) => ({ options: [...f.counts.values()].reduce((a, b) => a + b, 0), senders: f.counts.size }));

  const uri = `sip:127.0.0.1:${farm[0].port}`;
  const delays = [];
  for (let t = 0; t < TOGGLES; t++) {
    const state = t % 2 === 0 ? 'd' : 'ap';
    const want = t % 2 === 0 ? 'DX' : 'AP';
    const start = performance.now();
    const answer = await api(nodes[0], '/dispatcher/state', { set: 1, uri, state });
    if (answer.error) throw new Error(`set_state: ${JSON.stringify(answer.error)}`);
    const pending = new Set([1, 2]);
    const giveUp = start + 10_000;
    while (pending.size > 0) {
      if (performance.now() > giveUp) throw new Error(`toggle ${t}: ${want} not seen on instance(s) ${[...pending].map((k) => k + 1).join(', ')} within 10 s`);
      for (const k of [...pending]) if ((await stateOf(nodes[k], uri)) === want) {
        delays.push(performance.now() - start);
        pending.delete(k);
      }
    }
    await sleep(20);
  }
  delays.sort((a, b) => a - b);

  // Redis hangs (SIGSTOP) with no traffic: time until each instance reports local mode, and after
  // SIGCONT until it is back; three times.
  const health = (i) => fetch(`http://127.0.0.1:${i.httpPort}/health`).then((r) => r.json());
  const timeUntil = async (cond) => {
    const start = performance.now();
    while (!(await cond())) await sleep(5);
    return performance.now() - start;
  };
  const hang = [];
  for (let k = 0; k < 3; k++) {
    process.kill(redisPid, 'SIGSTOP');
    const local = await timeUntil(async () => (await Promise.all(nodes.map(health))).every((h) => !h.cluster.connected));
    process.kill(redisPid, 'SIGCONT');
    const back = await timeUntil(async () => (await Promise.all(nodes.map(health))).every((h) => h.cluster.connected));
    hang.push({ local, back });
    await sleep(1500);
  }
  // an instance killed with SIGKILL: time until both survivors list two members
  process.kill(nodes[2].proxy.pid, 'SIGKILL');
  const death = await timeUntil(async () => (await Promise.all(nodes.slice(0, 2).map(health))).every((h) => h.cluster.members === 2));
  for (const i of nodes.slice(0, 2)) await stopTracked(i.proxy);
  for (const f of farm) f.socket.close();
  return { probing, hang, death, delays: { n: delays.length, p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) } };
}

async function cpuPerCall(url) {
  const sipp = findExecutable('sipp');
  if (!sipp) throw new Error('sipp is not on PATH (Debian package sip-tester)');
  const uas = [];
  for (let k = 0; k < 2; k++) {
    const port = await freePort(taken);
    uas.push({ port, proc: await startUas({ sipp, scenario: scenarioPath('uas'), name: `uas${k}`, port, controlPort: await freePort(taken), mediaPort: await freeMediaPort(taken), dir }) });
  }
  const list = uas.map((u, k) => `1 sip:127.0.0.1:${u.port} 0 0 duid=u${k}`).join('\n');
  const base = ['ds_ping_interval: 10', 'log_level: warn', 'drain_timeout: 500', 'routes:', '  - { set: 1, algorithm: 10 }'];
  const rows = { off: [], on: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const mode of ['off', 'on']) {
      const config = mode === 'on' ? [...base, 'cluster:', `  redis: ${url}`, `  node_id: cpu-${run}`, '  key_prefix: "cpu:"'] : base;
      const i = await instance(`cpu-${mode}-${run}`, list, config.join('\n'));
      const uacDir = join(dir, `uac-${mode}-${run}`);
      const ports = async () => ({ port: await freePort(taken), controlPort: await freePort(taken), mediaPort: await freeMediaPort(taken) });
      const warm = { ...(await ports()) };
      mkdirSync(join(uacDir, 'warm'), { recursive: true });
      await startUac({ sipp, scenario: scenarioPath('uac'), target: `127.0.0.1:${i.port}`, ...warm, calls: 2000, rate: 500, limit: 5000, holdMs: 0, timeoutS: 30, dir: join(uacDir, 'warm') }).finished;
      const before = readProcStat(i.proxy.pid).cpuTicks;
      const p = await ports();
      mkdirSync(join(uacDir, 'run'), { recursive: true });
      const { stats } = await startUac({ sipp, scenario: scenarioPath('uac'), target: `127.0.0.1:${i.port}`, ...p, calls: RATE * SECONDS, rate: RATE, limit: 5000, holdMs: 0, timeoutS: SECONDS + 30, dir: join(uacDir, 'run') }).finished;
      const after = readProcStat(i.proxy.pid).cpuTicks;
      rows[mode].push({ run, calls: stats.successful, failed: RATE * SECONDS - stats.successful, usPerCall: (((after - before) / CLOCK_TICKS) * 1e6) / Math.max(1, stats.successful) });
      await stopTracked(i.proxy);
    }
  }
  for (const u of uas) await stopTracked(u.proc);
  return rows;
}

const { redis, url } = await startRedis(dir, taken);
console.log(`# cluster bench ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}`);
const { probing, delays, hang, death } = await probingAndPropagation(url, redis.pid);
console.log(`\nOPTIONS per responder over ${WINDOW_S} s (1 s interval, 3 instances):`);
for (const [k, p] of probing.entries()) console.log(`  responder ${k + 1}: ${p.options} OPTIONS from ${p.senders} instance(s)`);
console.log(`\nset_state propagation to 2 other instances (${delays.n} observations, polled over HTTP): p50 ${delays.p50.toFixed(2)} ms, p99 ${delays.p99.toFixed(2)} ms, max ${delays.max.toFixed(2)} ms`);
console.log(`\nRedis hung (SIGSTOP), no traffic: local mode on all three after ${hang.map((h) => h.local.toFixed(0)).join(', ')} ms; back after SIGCONT in ${hang.map((h) => h.back.toFixed(0)).join(', ')} ms`);
console.log(`instance killed (SIGKILL): both survivors list two members after ${death.toFixed(0)} ms`);
if (RUNS === 0) {
  await stopTracked(redis);
  process.exit(0);
}
const cpu = await cpuPerCall(url);
console.log(`\nCPU per call at ${RATE} calls/s × ${SECONDS} s, algorithm 10, one instance:`);
for (const mode of ['off', 'on']) {
  for (const r of cpu[mode]) console.log(`  cluster ${mode} run ${r.run}: ${r.usPerCall.toFixed(1)} µs/call (${r.calls} ok, ${r.failed} failed)`);
}
const off = median(cpu.off.map((r) => r.usPerCall));
const on = median(cpu.on.map((r) => r.usPerCall));
console.log(`  median off ${off.toFixed(1)} µs, on ${on.toFixed(1)} µs: ${(((on - off) / off) * 100).toFixed(1)} %`);
await stopTracked(redis);
