// List-scale mode: sipdispatch and Kamailio 5.6 side by side with large dispatcher lists (50 sets),
// probing off, on loopback. Per size and proxy, `--runs` runs (medians reported):
//   - startup to ready: spawn until the proxy answers an OPTIONS to itself (the list is loaded);
//   - memory: PSS summed over the process tree (/proc/PID/smaps_rollup) 1 s after ready (the
//     headline), `--steady` s after ready (before any reload), 0.8 s after the reload and `--steady`
//     s after the reload; per destination = (PSS at this size - PSS at the smallest size) / extra
//     destinations;
//   - worst ping round trip during a reload: an OPTIONS to the proxy every 5 ms while a list of
//     the same size with every destination changed is reloaded (POST /reload; kamcmd
//     dispatcher.reload), from 300 ms before the reload to 300 ms after it returned; lost pings.
// The pacing mode (--pacing) probes N destinations on one loopback UDP sink every 10 s and reports
// the busiest 100 ms window of one round against the round's average.
//
// sipdispatch runs as installed, with the node flags of its CLI's shebang (--plain-node: without
// them, as runs before 2026-12-04 08:00 UTC did). --steady 0 skips the two later memory points.
//
//   npm run build && node bench/lists/list-scale.mjs [--sizes 1000,10000,50000] [--runs 3] [--pacing 10000]
//     [--only lists|pacing] [--steady 11] [--plain-node]
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { freePort } from '../e2e/free-ports.mjs';
import { processTree } from '../e2e/proc-stats.mjs';
import { defaultSipdispatchCli, findExecutable, repoRoot, shebangNodeArgs } from '../e2e/start-proxy.mjs';
import { installExitCleanup, spawnTracked, stopTracked } from '../e2e/tracked-processes.mjs';
import { makeList } from './make-list.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,50000' },
    runs: { type: 'string', default: '3' },
    pacing: { type: 'string', default: '10000' },
    'pacing-interval': { type: 'string', default: '10' },
    only: { type: 'string' },
    steady: { type: 'string', default: '11' },
    'plain-node': { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const kamailioCfg = fileURLToPath(new URL('kamailio-lists.cfg', import.meta.url));
const kamailio = findExecutable('kamailio', ['/usr/sbin']);
const kamcmd = findExecutable('kamcmd', ['/usr/sbin']);
const PING_EVERY_MS = 5;
const steadyMs = Number(values.steady) * 1000;
const nodeArgs = values['plain-node'] ? [] : shebangNodeArgs(defaultSipdispatchCli);
installExitCleanup();

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * PSS in bytes summed over the process and its descendants, and USS (private pages only): PSS
 * also carries a share of the pages a binary shares with the other processes running it, which
 * moves with whatever else runs on the machine.
 */
function memory(pid) {
  let pss = 0;
  let uss = 0;
  const kb = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  for (const p of processTree(pid)) {
    try {
      const text = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      pss += kb(text, 'Pss');
      uss += kb(text, 'Private_Clean') + kb(text, 'Private_Dirty');
    } catch {
      // gone
    }
  }
  return { pss, uss };
}

/** An OPTIONS pinger toward 127.0.0.1:port: every reply's round trip, by CSeq. */
function pinger(port) {
  const socket = createSocket('udp4');
  const sent = new Map();
  const rtts = [];
  let cseq = 0;
  let timer;
  const callId = `lists-${process.pid}-${port}-${Date.now()}`;
  socket.on('message', (m) => {
    const text = m.toString('latin1');
    const c = /\r\nCSeq:\s*(\d+)/i.exec(text);
    if (!text.startsWith('SIP/2.0 200') || !c) return;
    const at = sent.get(Number(c[1]));
    if (at === undefined) return;
    sent.delete(Number(c[1]));
    rtts.push(performance.now() - at);
  });
  const ping = () => {
    cseq++;
    const local = socket.address().port;
    const msg = [
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-${callId}-${cseq};rport`,
      'Max-Forwards: 70', 'From: <sip:bench@127.0.0.1>;tag=lists', `To: <sip:127.0.0.1:${port}>`,
      `Call-ID: ${callId}`, `CSeq: ${cseq} OPTIONS`, 'Content-Length: 0', '', '',
    ].join('\r\n');
    sent.set(cseq, performance.now());
    socket.send(msg, port, '127.0.0.1');
  };
  return {
    ready: new Promise((r) => socket.bind(0, '127.0.0.1', r)),
    /** Sends one ping, resolves true on its reply within `ms`. */
    async once(ms) {
      const before = rtts.length;
      ping();
      for (let t = 0; t < ms; t += 5) {
        await sleep(5);
        if (rtts.length > before) return true;
      }
      return false;
    },
    start() {
      rtts.length = 0;
      sent.clear();
      timer = setInterval(ping, PING_EVERY_MS);
    },
    /** Stops, waits for late replies, returns worst RTT (ms), count and lost. */
    async stop() {
      clearInterval(timer);
      await sleep(1000);
      return { worst: Math.max(0, ...rtts), replies: rtts.length, lost: sent.size };
    },
    close: () => socket.close(),
  };
}

/** Spawns the proxy and times spawn → first 200 to OPTIONS. */
async function start(target, o) {
  const t0 = performance.now();
  const proc =
    target === 'kamailio'
      ? spawnTracked(kamailio, [
          '-f', kamailioCfg, '-DD', '-E', '-m', '1024', '-M', '16', '-Y', o.dir, '-P', join(o.dir, 'kamailio.pid'), '-w', o.dir,
          '-l', `udp:127.0.0.1:${o.port}`, '-A', `DS_LIST="${o.listFile}"`, '-A', `CTL_SOCKET="unix:${join(o.dir, 'kamailio_ctl')}"`,
          '-A', `DS_PING_INTERVAL=${o.pingInterval}`,
        ], { cwd: o.dir, logFile: join(o.dir, 'kamailio.log') })
      : spawnTracked(process.execPath, [
          ...nodeArgs, defaultSipdispatchCli, '--list', o.listFile, '--listen', `udp:127.0.0.1:${o.port}`,
          '--http', `127.0.0.1:${o.httpPort}`, '--log-level', 'warn', '--config', o.configFile,
        ], { cwd: repoRoot, logFile: join(o.dir, 'sipdispatch.log') });
  const p = o.pinger;
  while (!(await p.once(10))) {
    if (performance.now() - t0 > 30_000) {
      await stopTracked(proc);
      throw new Error(`${target} not answering after 30 s (see ${o.dir})`);
    }
  }
  const startupMs = performance.now() - t0;
  await sleep(300);
  proc.adopt(processTree(proc.pid));
  return { proc, startupMs };
}

async function reload(target, o) {
  if (target === 'kamailio') {
    await promisify(execFile)(kamcmd, ['-s', `unix:${join(o.dir, 'kamailio_ctl')}`, 'dispatcher.reload']);
    return;
  }
  const r = await fetch(`http://127.0.0.1:${o.httpPort}/reload`, { method: 'POST' });
  const body = await r.text();
  if (!r.ok) throw new Error(`reload failed: ${r.status} ${body}`);
}

async function oneRun(target, count) {
  const dir = mkdtempSync(join(tmpdir(), `sd-lists-${target}-`));
  const taken = new Set();
  const o = {
    dir, port: await freePort(taken), httpPort: await freePort(taken), listFile: join(dir, 'dispatcher.list'),
    configFile: join(dir, 'config.json'), pingInterval: 0,
  };
  writeFileSync(o.listFile, makeList({ count, generation: 0 }));
  // no warm-up: its garbage and heap headroom would blur what the destinations cost; one thread,
  // as docs/large-lists.md advises for large lists (each thread holds a replica of the list)
  writeFileSync(o.configFile, JSON.stringify({ ds_ping_interval: 0, trusted: ['127.0.0.0/8'], reload_delta: 0, warm_up_calls: 0, workers: 1 }));
  o.pinger = pinger(o.port);
  await o.pinger.ready;
  const { proc, startupMs } = await start(target, o);
  // start() returns 300 ms after the first answer
  const readyAt = performance.now() - 300;
  try {
    await sleep(700);
    const { pss: pssStart, uss: ussStart } = memory(proc.pid);
    let pssSteady = NaN;
    if (steadyMs > 0) {
      await sleep(readyAt + steadyMs - performance.now());
      pssSteady = memory(proc.pid).pss;
    }
    writeFileSync(o.listFile, makeList({ count, generation: 1 }));
    o.pinger.start();
    await sleep(300);
    const r0 = performance.now();
    await reload(target, o);
    const reloadMs = performance.now() - r0;
    await sleep(300);
    const ping = await o.pinger.stop();
    await sleep(500);
    const { pss: pssReloaded } = memory(proc.pid);
    let pssReloadSteady = NaN;
    if (steadyMs > 0) {
      await sleep(r0 + reloadMs + steadyMs - performance.now());
      pssReloadSteady = memory(proc.pid).pss;
    }
    return { target, count, startupMs, pssStart, ussStart, pssSteady, pssReloaded, pssReloadSteady, reloadMs, ...ping };
  } finally {
    o.pinger.close();
    await stopTracked(proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A UDP server that answers OPTIONS 200 and notes when each arrived. */
async function sink() {
  const socket = createSocket('udp4');
  const arrivals = [];
  socket.on('message', (m, rinfo) => {
    arrivals.push(performance.now());
    const text = m.toString('latin1');
    const head = text.split('\r\n\r\n')[0].split('\r\n');
    const keep = head.filter((l) => /^(Via|From|To|Call-ID|CSeq|v|f|t|i):/i.test(l));
    socket.send(['SIP/2.0 200 OK', ...keep, 'Content-Length: 0', '', ''].join('\r\n'), rinfo.port, rinfo.address);
  });
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, arrivals, close: () => socket.close() };
}

async function pacingRun(target, count, intervalS) {
  const dir = mkdtempSync(join(tmpdir(), `sd-pacing-${target}-`));
  const taken = new Set();
  const s = await sink();
  const o = {
    dir, port: await freePort(taken), httpPort: await freePort(taken), listFile: join(dir, 'dispatcher.list'),
    configFile: join(dir, 'config.json'), pingInterval: intervalS,
  };
  writeFileSync(o.listFile, makeList({ count, sink: s.port }));
  writeFileSync(o.configFile, JSON.stringify({ ds_ping_interval: intervalS, trusted: ['127.0.0.0/8'], workers: 1 }));
  o.pinger = pinger(o.port);
  await o.pinger.ready;
  const { proc } = await start(target, o);
  try {
    // skip the first round, then watch two whole intervals
    await sleep(intervalS * 1000 + 500);
    const from = performance.now();
    await sleep(2 * intervalS * 1000);
    const to = performance.now();
    const windows = new Map();
    let n = 0;
    for (const t of s.arrivals) {
      if (t < from || t >= to) continue;
      n++;
      const w = Math.floor((t - from) / 100);
      windows.set(w, (windows.get(w) ?? 0) + 1);
    }
    const average = n / ((to - from) / 100);
    const busiest = Math.max(0, ...windows.values());
    return { target, count, probes: n, perSecond: n / ((to - from) / 1000), busiest100ms: busiest, average100ms: average, ratio: average > 0 ? busiest / average : 0 };
  } finally {
    o.pinger.close();
    s.close();
    await stopTracked(proc);
    rmSync(dir, { recursive: true, force: true });
  }
}

const targets = ['sipdispatch', ...(kamailio && kamcmd ? ['kamailio'] : [])];
if (targets.length < 2) console.warn('kamailio or kamcmd not found: sipdispatch only');
console.log(`list-scale bench, ${new Date().toISOString()}, node ${process.version} ${nodeArgs.join(' ')}, ${runs} runs per cell`);
if (values.only !== 'pacing') {
  const rows = [];
  for (const count of sizes) {
    for (const target of targets) {
      for (let i = 0; i < runs; i++) {
        const r = await oneRun(target, count);
        console.log(`  ${target} ${count}: startup ${r.startupMs.toFixed(0)} ms, PSS ${(r.pssStart / 1e6).toFixed(1)} / steady ${(r.pssSteady / 1e6).toFixed(1)} / reloaded ${(r.pssReloaded / 1e6).toFixed(1)} / steady ${(r.pssReloadSteady / 1e6).toFixed(1)} MB, USS ${(r.ussStart / 1e6).toFixed(1)} MB, reload ${r.reloadMs.toFixed(0)} ms, worst ping ${r.worst.toFixed(1)} ms, ${r.replies} replies, ${r.lost} lost, load average ${loadavg()[0].toFixed(1)}`);
        rows.push(r);
      }
    }
  }
  const cell = (target, count, key) => median(rows.filter((r) => r.target === target && r.count === count).map((r) => r[key]));
  console.log('\n| destinations | proxy | startup to ready (ms) | PSS after start (MB) | PSS after reload (MB) | per destination, PSS (KB) | per destination, USS (KB) | reload took (ms) | worst ping RTT in reload (ms) | pings lost |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  const base = sizes[0];
  for (const count of sizes) {
    for (const target of targets) {
      const per = (key) => (count === base ? '—' : ((cell(target, count, key) - cell(target, base, key)) / (count - base) / 1024).toFixed(2));
      console.log(`| ${count} | ${target} | ${cell(target, count, 'startupMs').toFixed(0)} | ${(cell(target, count, 'pssStart') / 1e6).toFixed(1)} | ${(cell(target, count, 'pssReloaded') / 1e6).toFixed(1)} | ${per('pssStart')} | ${per('ussStart')} | ${cell(target, count, 'reloadMs').toFixed(0)} | ${cell(target, count, 'worst').toFixed(1)} | ${cell(target, count, 'lost')} |`);
    }
  }
  if (steadyMs > 0) {
    const s = steadyMs / 1000;
    console.log(`\nMemory over time, PSS in MB (per destination in KB): 1 s after ready (the headline above), ${s} s after ready, 0.8 s after the reload, ${s} s after the reload`);
    console.log(`| destinations | proxy | 1 s after ready | ${s} s after ready | after reload | ${s} s after reload |`);
    console.log('|---|---|---|---|---|---|');
    for (const count of sizes) {
      for (const target of targets) {
        const at = (key) => {
          const mb = (cell(target, count, key) / 1e6).toFixed(1);
          return count === base ? mb : `${mb} (${((cell(target, count, key) - cell(target, base, key)) / (count - base) / 1024).toFixed(2)})`;
        };
        console.log(`| ${count} | ${target} | ${at('pssStart')} | ${at('pssSteady')} | ${at('pssReloaded')} | ${at('pssReloadSteady')} |`);
      }
    }
  }
}
if (values.only !== 'lists' && Number(values.pacing) > 0) {
  const count = Number(values.pacing);
  const intervalS = Number(values['pacing-interval']);
  const rows = [];
  for (const target of targets) {
    for (let i = 0; i < runs; i++) {
      const r = await pacingRun(target, count, intervalS);
      console.log(`  pacing ${target} ${count}: ${r.probes} probes, busiest 100 ms ${r.busiest100ms} vs average ${r.average100ms.toFixed(1)} (x${r.ratio.toFixed(2)}), load average ${loadavg()[0].toFixed(1)}`);
      rows.push(r);
    }
  }
  console.log(`\n| probed destinations, interval ${intervalS} s | proxy | probes/s | busiest 100 ms window | average per 100 ms | busiest / average |`);
  console.log('|---|---|---|---|---|---|');
  for (const target of targets) {
    const rs = rows.filter((r) => r.target === target);
    const m = (k) => median(rs.map((r) => r[k]));
    console.log(`| ${count} | ${target} | ${m('perSecond').toFixed(0)} | ${m('busiest100ms')} | ${m('average100ms').toFixed(1)} | ${m('ratio').toFixed(2)} |`);
  }
}
