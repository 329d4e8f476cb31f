// Heap allocated per message by the built parser and serializer under plain node, and where:
// `npm run build && node bench/sip/alloc-native.mjs [distDir]` (cases: native-cases.mjs).
// V8's sampling heap profiler, every 128 bytes on average, objects collected by minor and major
// GCs included: its per-site byte counts are unbiased estimates of everything allocated. Sites are
// functions as V8 saw them (an inlined callee's allocations may show under its caller; run with
// `node --no-turbo-inlining` to see them under their own names). ALLOC_TOP=n lists n sites.
// Off-heap memory (the ArrayBuffer slab behind a pooled Buffer) is not counted.
import { Session } from 'node:inspector/promises';
import { cases, dist, operations } from './native-cases.mjs';

const WARMUP = 50_000;
const N = 20_000;
const TOP = Number(process.env.ALLOC_TOP ?? 6);

const session = new Session();
session.connect();

/** Bytes allocated per call of `fn`, and the sites that allocated them (self bytes per call). */
async function measure(fn) {
  for (let i = 0; i < WARMUP; i++) fn();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 128,
    includeObjectsCollectedByMinorGC: true,
    includeObjectsCollectedByMajorGC: true,
  });
  for (let i = 0; i < N; i++) fn();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const sites = new Map();
  let total = 0;
  const walk = (node) => {
    if (node.selfSize > 0) {
      const f = node.callFrame;
      const site = `${f.functionName || '(anonymous)'} ${f.url.slice(f.url.lastIndexOf('/') + 1)}:${f.lineNumber + 1}`;
      sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  const top = [...sites].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  return { perMessage: total / N, top: top.map(([site, bytes]) => [site, bytes / N]) };
}

console.log(`node ${process.version}, ${dist.pathname}, ${N} messages sampled after ${WARMUP} warm-up`);
const rows = [];
for (const [name, buf] of cases) {
  const row = [];
  for (const [label, op] of operations) {
    const { perMessage, top } = await measure(() => op(buf));
    row.push(Math.round(perMessage));
    console.log(`\n${name}, ${label}: ${Math.round(perMessage)} bytes per message; top sites:`);
    for (const [site, bytes] of top) console.log(`  ${Math.round(bytes).toString().padStart(6)}  ${site}`);
  }
  rows.push(`| ${name} | ${buf.length} | ${row.join(' | ')} |`);
}
console.log(`\nHeap bytes allocated per message\n| message | size | ${operations.map(([label]) => label).join(' | ')} |`);
console.log(`|---|---|${operations.map(() => '---|').join('')}`);
for (const row of rows) console.log(row);
session.disconnect();
