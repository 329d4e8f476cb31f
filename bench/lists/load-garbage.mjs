// What loading a large list allocates, in process: bytes allocated and bytes kept per destination
// for parsing, for a start-up load (parse and build) and for a reload with every destination
// changed. The young generation is made large enough that no collection runs while a step is
// measured (checked), so "allocated" is the growth of the used heap, "kept" what a full collection
// leaves of it.
//
//   npm run build && node --expose-gc --min-semi-space-size=512 --max-semi-space-size=512 \
//     bench/lists/load-garbage.mjs [--count 50000]
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../dist/config/load-config.js';
import { parseDispatcherList } from '../../dist/dispatcher/list-parser.js';
import { createDispatcher } from '../../dist/stack/create-dispatcher.js';
import { makeList } from './make-list.mjs';

const { values } = parseArgs({ options: { count: { type: 'string', default: '50000' } } });
const count = Number(values.count);
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc --min-semi-space-size=512 --max-semi-space-size=512');
const gcs = [];
new PerformanceObserver((list) => gcs.push(...list.getEntries().map((e) => e.startTime))).observe({ entryTypes: ['gc'] });
const used = () => getHeapStatistics().used_heap_size;
const config = await loadConfig({ ds_ping_interval: 0 }, {});

/** Allocated and kept bytes of `step` (which returns what it keeps alive, dropped after the measure). */
async function measure(name, step) {
  globalThis.gc();
  await new Promise((r) => setImmediate(r));
  const from = performance.now();
  const before = used();
  const holder = { kept: step() };
  const allocated = used() - before;
  const to = performance.now();
  globalThis.gc();
  const left = used() - before;
  holder.kept = undefined;
  await new Promise((r) => setImmediate(r));
  const collected = gcs.some((t) => t >= from && t <= to);
  console.log(`${name.padEnd(40)} allocated ${(allocated / 1e6).toFixed(1).padStart(6)} MB (${(allocated / count).toFixed(0).padStart(5)} B a destination), kept ${(left / 1e6).toFixed(1).padStart(5)} MB (${(left / count).toFixed(0).padStart(4)} B)${collected ? '  [a collection ran: not exact]' : ''}`);
}

// the code is compiled and optimised on a small list first
createDispatcher(config).load(makeList({ count: 2000 }), 'warm.list');
// flat strings, as a file read gives them (makeList's text is a chain of pieces)
const text = Buffer.from(makeList({ count })).toString();
const changed = Buffer.from(makeList({ count, generation: 1 })).toString();
console.log(`load-garbage, ${new Date().toISOString()}, node ${process.version}, ${count} destinations in 50 sets`);
await measure('parse (parseDispatcherList)', () => parseDispatcherList(text, 'dispatcher.list', 'strict'));
const dispatcher = createDispatcher(config);
// the dispatcher keeps the list; the load's report is not kept
await measure('start-up load (parse and build)', () => void dispatcher.load(text, 'dispatcher.list'));
// kept: the new list less the old one it replaces
await measure('reload, every destination changed', () => void dispatcher.reload(changed, 'dispatcher.list'));
