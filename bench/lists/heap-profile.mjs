// Where the memory of a large list goes: starts the compiled CLI twice (a small and a large
// list, probing off), writes a heap snapshot of each (--heapsnapshot-signal) and prints the
// difference per object kind, divided by the difference in destinations: bytes per destination.
//
//   npm run build && node bench/lists/heap-profile.mjs [--small 1000] [--large 10000] [--top 25]
import { summarise } from '../edge/heap-summary.mjs';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../e2e/free-ports.mjs';
import { defaultSipdispatchCli, startSipdispatch } from '../e2e/start-proxy.mjs';
import { stopTracked } from '../e2e/tracked-processes.mjs';
import { makeList } from './make-list.mjs';

const { values } = parseArgs({ options: { small: { type: 'string', default: '1000' }, large: { type: 'string', default: '10000' }, top: { type: 'string', default: '25' } } });

async function snapshotOf(count) {
  const dir = mkdtempSync(join(tmpdir(), 'sd-heap-'));
  const listFile = join(dir, 'dispatcher.list');
  writeFileSync(listFile, makeList({ count }));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ ds_ping_interval: 0, trusted: ['127.0.0.0/8'], workers: 1 }));
  const taken = new Set();
  const [port, httpPort] = [await freePort(taken), await freePort(taken)];
  const proxy = await startSipdispatch({ cli: defaultSipdispatchCli, nodeArgs: ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`], port, httpPort, listFile, configFile, dir });
  // one scrape, as Prometheus would do
  await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
  process.kill(proxy.pid, 'SIGUSR2');
  let summary;
  // the file is complete once it parses (V8 writes it in chunks)
  for (let i = 0; i < 600 && !summary; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const found = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
    try {
      if (found) summary = summarise(join(dir, found));
    } catch {
      // still being written
    }
  }
  await stopTracked(proxy);
  if (!summary) throw new Error('no heap snapshot written');
  rmSync(dir, { recursive: true, force: true });
  return summary;
}

const small = Number(values.small);
const large = Number(values.large);
const a = await snapshotOf(small);
const b = await snapshotOf(large);
const per = large - small;
console.log(`heap (self sizes): ${small} destinations ${(a.total / 1e6).toFixed(1)} MB, ${large} destinations ${(b.total / 1e6).toFixed(1)} MB`);
console.log(`per destination: ${((b.total - a.total) / per).toFixed(0)} bytes\n`);
const rows = [...b.kinds].map(([k, v]) => {
  const o = a.kinds.get(k) ?? { size: 0, count: 0 };
  return { kind: k, bytes: (v.size - o.size) / per, objects: (v.count - o.count) / per };
}).sort((x, y) => y.bytes - x.bytes).slice(0, Number(values.top));
console.log('kind'.padEnd(72) + 'bytes/dest  objects/dest');
for (const r of rows) console.log(r.kind.padEnd(72) + r.bytes.toFixed(0).padStart(10) + r.objects.toFixed(2).padStart(14));
