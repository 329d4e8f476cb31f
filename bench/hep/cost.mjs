#!/usr/bin/env node
// HEP capture cost: the e2e call bench at one rate, sipdispatch and Kamailio side by side in the
// same invocation, first without capture, then with HEP v3 to a sink in this process (sipdispatch
// `hep.collector`, Kamailio siptrace in transaction mode). Prints CPU per call for the four cases
// and the HEP packets per call each sent. Loopback only, bounded by run.mjs's own budget.
//   node bench/hep/cost.mjs [--rate 1000] [--seconds 10] [--runs 3]
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, runs: { type: 'string', default: '3' } } });
const runMjs = fileURLToPath(new URL('../e2e/run.mjs', import.meta.url));
const outDir = fileURLToPath(new URL('../e2e/out/', import.meta.url));

const sink = dgram.createSocket('udp4');
let packets = 0;
sink.on('message', (m) => {
  if (m.toString('latin1', 0, 4) === 'HEP3') packets++;
});
await new Promise((r) => sink.bind(0, '127.0.0.1', r));
const sinkAddress = `127.0.0.1:${sink.address().port}`;
const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-hep-'));
const hepConfig = join(dir, 'hep.yaml');
writeFileSync(hepConfig, `hep:\n  collector: udp:${sinkAddress}\n  capture_id: 1\n`);

const common = ['--quick', '--rates', flags.rate, '--options-rates', flags.rate, '--seconds', flags.seconds, '--warmup', '2', '--runs', flags.runs];
const cases = [
  { name: 'off', args: [...common, '--targets', 'sipdispatch,kamailio'] },
  { name: 'sipdispatch on', args: [...common, '--targets', 'sipdispatch', '--sipdispatch-config', hepConfig] },
  { name: 'kamailio on', args: [...common, '--targets', 'kamailio', '--kamailio-hep', sinkAddress] },
];
const results = [];
for (const c of cases) {
  const before = new Set(readdirSafe(outDir));
  const start = packets;
  console.log(`\n== HEP ${c.name}: node bench/e2e/run.mjs ${c.args.join(' ')}`);
  // async, so the sink keeps reading while the bench runs
  const child = spawn(process.execPath, [runMjs, ...c.args], { stdio: 'inherit' });
  const status = await new Promise((resolve) => child.on('exit', resolve));
  if (status !== 0) throw new Error(`run.mjs exited with ${status}`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const file = readdirSafe(outDir).find((f) => f.endsWith('.json') && !before.has(f));
  const report = JSON.parse(readFileSync(join(outDir, file), 'utf8'));
  results.push({ name: c.name, report, hepPackets: packets - start });
}
sink.close();

console.log('\n| case | target | run | calls ok | failed | proxy CPU s | CPU µs / call |');
console.log('|---|---|---|---|---|---|---|');
for (const { name, report } of results) {
  for (const row of report.rows.filter((x) => x.scenario === 'call')) {
    const perCall = (row.proxyCpuS / row.successful) * 1e6;
    console.log(`| ${name} | ${row.target} | ${row.run} | ${row.successful} | ${row.failed} | ${row.proxyCpuS.toFixed(2)} | ${perCall.toFixed(0)} |`);
  }
}
for (const { name, hepPackets, report } of results) {
  const calls = report.rows.reduce((sum, row) => sum + (row.successful ?? 0), 0);
  console.log(`HEP ${name}: ${hepPackets} packets reached the sink; ${calls} calls and OPTIONS measured (warm-up and probes are captured too, so this is no per-call ratio)`);
}

function readdirSafe(d) {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}
