/**
 * TLS and WSS call rate and CPU of one sipdispatch thread: a Node UAC (stream-uac.mjs; SIPp from
 * Debian has neither TLS nor WebSocket) places calls over TLS or WSS through the built CLI to two
 * SIPp UAS over UDP, closed loop at a few concurrencies. For each step: completed calls per
 * second, failed calls, and sipdispatch's CPU milliseconds per call (/proc). Medians of `--runs`.
 * Everything binds 127.0.0.1; every step is bounded in calls and time.
 *
 *   npm run build && node bench/transport/run.mjs [--calls 3000] [--runs 3] [--concurrency 25,50,100]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLOCK_TICKS, readProcStat } from '../e2e/proc-stats.mjs';
import { freeMediaPort, freePort } from '../e2e/free-ports.mjs';
import { scenarioPath, startUas } from '../e2e/sipp-processes.mjs';
import { installExitCleanup, stopTracked } from '../e2e/tracked-processes.mjs';
import { runStreamCalls } from './stream-uac.mjs';

const CLI = fileURLToPath(new URL('../../dist/cli/cli.js', import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const CALLS = Number(args.calls ?? 3000);
const RUNS = Number(args.runs ?? 3);
const CONCURRENCY = String(args.concurrency ?? '25,50,100').split(',').map(Number);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

installExitCleanup();
const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-transport-'));
execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', 'key.pem', '-out', 'cert.pem'], { cwd: dir, stdio: 'ignore' });
const ca = readFileSync(join(dir, 'cert.pem'));
const sipp = execFileSync('sh', ['-c', 'command -v sipp']).toString().trim();
const taken = new Set();
const uas = [];
for (let i = 0; i < 2; i++) {
  const port = await freePort(taken);
  uas.push({ port, proc: await startUas({ sipp, scenario: scenarioPath('uas'), name: `uas${i}`, port, controlPort: await freePort(taken), mediaPort: await freeMediaPort(taken), dir }) });
}
writeFileSync(join(dir, 'dispatcher.list'), uas.map((u) => `1 sip:127.0.0.1:${u.port} 0 0`).join('\n') + '\n');
writeFileSync(join(dir, 'sipdispatch.yaml'), `tls:\n  certificate: ${join(dir, 'cert.pem')}\n  private_key: ${join(dir, 'key.pem')}\nlog_level: warn\n`);

async function startProxy() {
  const ports = { udp: await freePort(taken), tls: await freePort(taken), wss: await freePort(taken), http: await freePort(taken) };
  const child = spawn(process.execPath, [CLI, '--config', join(dir, 'sipdispatch.yaml'), '--list', join(dir, 'dispatcher.list'), '--http', `127.0.0.1:${ports.http}`,
    '--listen', `udp:127.0.0.1:${ports.udp}`, '--listen', `tls:127.0.0.1:${ports.tls}`, '--listen', `wss:127.0.0.1:${ports.wss}`], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${ports.http}/health`)).ok) break;
    } catch {
      if (Date.now() > deadline) throw new Error('sipdispatch did not start');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, ports };
}

const rows = [];
try {
  for (const transport of ['tls', 'wss']) {
    for (const concurrency of CONCURRENCY) {
      const runs = [];
      for (let run = 0; run < RUNS; run++) {
        const proxy = await startProxy();
        // one warm-up round so the JIT has seen the path, as after a few seconds in production
        await runStreamCalls({ transport, host: '127.0.0.1', port: proxy.ports[transport], ca, calls: 500, concurrency, connections: 4 });
        const before = readProcStat(proxy.child.pid).cpuTicks;
        const r = await runStreamCalls({ transport, host: '127.0.0.1', port: proxy.ports[transport], ca, calls: CALLS, concurrency, connections: 4, callTimeoutMs: 20_000 });
        const cpuMs = ((readProcStat(proxy.child.pid).cpuTicks - before) / CLOCK_TICKS) * 1000;
        runs.push({ rate: r.ok / r.seconds, failed: r.failed, cpuPerCallMs: cpuMs / Math.max(1, r.ok), cpuShare: cpuMs / 1000 / r.seconds, setup: r.setupMs.sort((a, b) => a - b) });
        proxy.child.kill('SIGTERM');
        await new Promise((r2) => proxy.child.once('exit', r2));
      }
      const row = {
        transport, concurrency,
        callsPerSecond: Math.round(median(runs.map((x) => x.rate))),
        failed: runs.reduce((a, x) => a + x.failed, 0),
        cpuMsPerCall: Number(median(runs.map((x) => x.cpuPerCallMs)).toFixed(3)),
        cpuOfOneCore: `${Math.round(median(runs.map((x) => x.cpuShare)) * 100)} %`,
        setupP50Ms: Number(median(runs.map((x) => x.setup[Math.floor(x.setup.length / 2)])).toFixed(1)),
        setupP99Ms: Number(median(runs.map((x) => x.setup[Math.floor(x.setup.length * 0.99)])).toFixed(1)),
      };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
} finally {
  for (const u of uas) await stopTracked(u.proc);
}
process.stdout.write(`machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}, ${new Date().toISOString()}\n`);
process.stdout.write('| transport | in flight | calls/s (median) | failed | sipdispatch CPU ms/call | CPU of one core | INVITE→200 p50 | p99 |\n|---|---|---|---|---|---|---|---|\n');
for (const r of rows) process.stdout.write(`| ${r.transport} | ${r.concurrency} | ${r.callsPerSecond} | ${r.failed} | ${r.cpuMsPerCall} | ${r.cpuOfOneCore} | ${r.setupP50Ms} ms | ${r.setupP99Ms} ms |\n`);
