// Where the memory of a large list goes: starts the compiled CLI twice (a small and a large
// list, probing off), writes a heap snapshot of each (--heapsnapshot-signal) and prints the
// difference per object kind, divided by the difference in destinations: bytes per destination.
//
//   npm run build && node bench/lists/heap-profile.mjs [--small 1000] [--large 10000] [--top 25]
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../e2e/free-ports.mjs';
import { defaultSipdispatchCli, startSipdispatch } from '../e2e/start-proxy.mjs';
import { stopTracked } from '../e2e/tracked-processes.mjs';
import { makeList } from './make-list.mjs';

const { values } = parseArgs({ options: { small: { type: 'string', default: '1000' }, large: { type: 'string', default: '10000' }, top: { type: 'string', default: '25' } } });

/**
 * Self size summed per kind over a V8 heap snapshot. Plain objects are told apart by their
 * property names ({set,uri} is a label set, {state,count} a health record); arrays and strings
 * by the property of the object that holds them.
 */
function summarise(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const f = snap.snapshot.meta.node_fields;
  const ef = snap.snapshot.meta.edge_fields;
  const types = snap.snapshot.meta.node_types[0];
  const edgeTypes = snap.snapshot.meta.edge_types[0];
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((k) => f.indexOf(k));
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((k) => ef.indexOf(k));
  const { nodes, edges, strings } = snap;
  const count = nodes.length / f.length;
  const heldAs = new Array(count);
  const props = new Array(count);
  for (let n = 0, e = 0; n < count; n++) {
    const names = [];
    for (let k = 0; k < nodes[n * f.length + iEdges]; k++, e += ef.length) {
      const type = edgeTypes[edges[e + eType]];
      if (type !== 'property') continue;
      const name = strings[edges[e + eName]];
      names.push(name);
      const to = edges[e + eTo] / f.length;
      heldAs[to] ??= name;
    }
    props[n] = names;
  }
  const out = new Map();
  let total = 0;
  for (let n = 0; n < count; n++) {
    const i = n * f.length;
    const type = types[nodes[i + iType]];
    let key = type;
    if (type === 'object' || type === 'native' || type === 'closure' || type === 'hidden' || type === 'array') key += ':' + strings[nodes[i + iName]];
    if (key === 'object:Object') key += '{' + props[n].slice(0, 6).join(',') + '}';
    else if (type === 'array' || type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'hidden') key += ' as .' + (heldAs[n] ?? '?');
    key = key.slice(0, 70);
    const size = nodes[i + iSize];
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += size;
    e.count++;
    out.set(key, e);
    total += size;
  }
  return { kinds: out, total };
}

async function snapshotOf(count) {
  const dir = mkdtempSync(join(tmpdir(), 'sd-heap-'));
  const listFile = join(dir, 'dispatcher.list');
  writeFileSync(listFile, makeList({ count }));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ ds_ping_interval: 0, trusted: ['127.0.0.0/8'] }));
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
