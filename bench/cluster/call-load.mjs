// Shared call load (issue 16, test 5) on loopback with a private redis-server: three sipdispatch
// instances with algorithm 10, each fed by its own SIPp UAC (calls held holdMs), in front of three
// UDP responders that count the calls really up on them. Every 200 ms the bench reads each
// instance's DLGLOAD per destination and compares it with the responders' own count; with
// --maxload N the destinations carry maxload=N and the bench reports the highest true count.
// Usage: npm run build && node bench/cluster/call-load.mjs [--rate 300] [--seconds 10] [--hold 5000] [--maxload 0]
import { createSocket } from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeMediaPort, freePort } from '../e2e/free-ports.mjs';
import { scenarioPath, startUac } from '../e2e/sipp-processes.mjs';
import { defaultSipdispatchCli, findExecutable, startSipdispatch } from '../e2e/start-proxy.mjs';
import { installExitCleanup, stopTracked } from '../e2e/tracked-processes.mjs';
import { startRedis } from './redis-process.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RATE = arg('rate', 300);
const SECONDS = arg('seconds', 10);
const HOLD_MS = arg('hold', 5000);
const MAXLOAD = arg('maxload', 0);

installExitCleanup();
const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-callload-'));
const taken = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A UDP UAS answering INVITE (200), BYE and OPTIONS, and counting the calls up on it. */
async function responder() {
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  socket.setRecvBufferSize(8 * 1024 * 1024);
  const port = socket.address().port;
  const up = new Set();
  let peak = 0;
  socket.on('message', (buf, rinfo) => {
    const text = buf.toString('latin1');
    if (text.startsWith('SIP/2.0') || text.startsWith('ACK ')) return;
    const method = text.slice(0, text.indexOf(' '));
    const lines = text.split('\r\n');
    const callId = lines.find((l) => /^(call-id|i):/i.test(l))?.replace(/^[^:]+:\s*/, '');
    if (method === 'INVITE' && callId) {
      up.add(callId);
      peak = Math.max(peak, up.size);
    } else if (method === 'BYE' && callId) up.delete(callId);
    const keep = lines.filter((l) => /^(via|v|from|f|record-route|call-id|i|cseq):/i.test(l));
    const to = lines.find((l) => /^(to|t):/i.test(l)) ?? '';
    const toTagged = method === 'INVITE' && !/;tag=/.test(to) ? `${to};tag=uas${port}` : to;
    const contact = method === 'INVITE' ? [`Contact: <sip:uas@127.0.0.1:${port}>`] : [];
    socket.send(Buffer.from(['SIP/2.0 200 OK', ...keep, toTagged, ...contact, 'Content-Length: 0', '', ''].join('\r\n'), 'latin1'), rinfo.port, '127.0.0.1');
  });
  return { socket, port, uri: `sip:127.0.0.1:${port}`, up, peak: () => peak };
}

const sipp = findExecutable('sipp');
if (!sipp) throw new Error('needs sipp on PATH (Debian package sip-tester)');
const { redis, port: redisPort } = await startRedis(dir, taken);

const farm = [await responder(), await responder(), await responder()];
const list = farm.map((f, i) => `1 ${f.uri} 0 0 duid=u${i}${MAXLOAD > 0 ? `;maxload=${MAXLOAD}` : ''}`).join('\n');
const nodes = [];
for (let n = 1; n <= 3; n++) {
  const sub = join(dir, `node${n}`);
  mkdirSync(sub, { recursive: true });
  writeFileSync(join(sub, 'dispatcher.list'), list);
  const config = ['ds_ping_interval: 5', 'log_level: warn', 'drain_timeout: 500', 'routes:', '  - { set: 1, algorithm: 10 }', 'cluster:', `  redis: redis://127.0.0.1:${redisPort}`, `  node_id: load${n}`, '  key_prefix: "callload:"'];
  writeFileSync(join(sub, 'sipdispatch.yaml'), config.join('\n'));
  const port = await freePort(taken);
  const httpPort = await freePort(taken);
  nodes.push({ port, httpPort, proxy: await startSipdispatch({ cli: defaultSipdispatchCli, port, httpPort, listFile: join(sub, 'dispatcher.list'), configFile: join(sub, 'sipdispatch.yaml'), dir: sub }) });
}
for (;;) {
  const h = await Promise.all(nodes.map((i) => fetch(`http://127.0.0.1:${i.httpPort}/health`).then((r) => r.json())));
  if (h.every((x) => x.cluster?.members === 3)) break;
  await sleep(100);
}

const uacs = [];
for (const [k, i] of nodes.entries()) {
  const uacDir = join(dir, `uac${k}`);
  mkdirSync(uacDir, { recursive: true });
  uacs.push(startUac({ sipp, scenario: scenarioPath('uac'), target: `127.0.0.1:${i.port}`, port: await freePort(taken), controlPort: await freePort(taken), mediaPort: await freeMediaPort(taken), calls: RATE * SECONDS, rate: RATE, limit: 100_000, holdMs: HOLD_MS, timeoutS: SECONDS + HOLD_MS / 1000 + 30, dir: uacDir }).finished);
}
let done = false;
const allDone = Promise.all(uacs).finally(() => (done = true));
const errors = [];
const steady = [];
let samples = 0;
while (!done) {
  const views = await Promise.all(nodes.map((i) => fetch(`http://127.0.0.1:${i.httpPort}/dispatcher`).then((r) => r.json())));
  const truth = farm.map((f) => f.up.size);
  for (const v of views) {
    const loads = v.sets[0].destinations.map((d) => d.callLoad);
    loads.forEach((n, k) => {
      if (truth[k] >= 100) errors.push(Math.abs(n - truth[k]) / truth[k]);
      if (truth[k] >= 1000) steady.push(Math.abs(n - truth[k]) / truth[k]);
    });
  }
  samples++;
  await sleep(200);
}
const results = await allDone;
errors.sort((a, b) => a - b);
steady.sort((a, b) => a - b);
const pct = (p, xs = errors) => (xs.length ? (xs[Math.max(0, Math.ceil((p / 100) * xs.length) - 1)] * 100).toFixed(2) : 'n/a');
console.log(`# call-load bench ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}`);
console.log(`3 instances × ${RATE} calls/s × ${SECONDS} s, hold ${HOLD_MS} ms, algorithm 10${MAXLOAD ? `, maxload ${MAXLOAD}` : ''}`);
console.log(`calls: ${results.map((r) => `${r.stats.successful} ok / ${r.stats.failed} failed`).join(', ')}`);
console.log(`view vs truth (destinations with >= 100 calls up; ${samples} samples × 3 instances × 3 destinations, ${errors.length} points): median ${pct(50)} %, p99 ${pct(99)} %, max ${pct(100)} %; with >= 1000 up (${steady.length} points): median ${pct(50, steady)} %, p99 ${pct(99, steady)} %, max ${pct(100, steady)} %`);
console.log('(truth and views are read a few ms apart while ~1 call/ms changes: the figures include that skew)');
console.log(`peak calls up per destination: ${farm.map((f) => f.peak()).join(', ')}${MAXLOAD ? ` (maxload ${MAXLOAD}: overshoot ${Math.max(...farm.map((f) => f.peak())) - MAXLOAD}, ${(((Math.max(...farm.map((f) => f.peak())) - MAXLOAD) / MAXLOAD) * 100).toFixed(2)} %)` : ''}`);
for (const i of nodes) await stopTracked(i.proxy);
await stopTracked(redis);
for (const f of farm) f.socket.close();
