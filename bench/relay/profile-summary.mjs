// Summaries of V8 profiles taken over the proxy: allocation sites of a sampling heap profile (those
// with a dist/ frame on the stack) and self time of a .cpuprofile, with dist/ positions mapped back
// to src/*.ts through the build's source maps.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = `${new URL('../../dist/', import.meta.url)}`;
const maps = new Map();

const isProxy = (frame) => frame.url.startsWith(DIST);

function sourceMapOf(url) {
  if (!maps.has(url)) {
    const file = fileURLToPath(url);
    let map;
    try {
      map = { dir: dirname(file), map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) };
    } catch {
      map = undefined;
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** "name src/x.ts:line" (dist/ mapped back to src/), "name node:buffer:line", or "(native) name". */
export function frameName(frame) {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return frame.functionName.startsWith('(') ? name : `${name} (native)`;
  if (!frame.url.startsWith('file:')) return `${name} ${frame.url}:${frame.lineNumber + 1}`;
  const entry = isProxy(frame) ? sourceMapOf(frame.url)?.map.findEntry(frame.lineNumber, frame.columnNumber) : undefined;
  if (entry?.originalSource) {
    const src = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : resolve(sourceMapOf(frame.url).dir, entry.originalSource);
    return `${name} ${relative(ROOT, src)}:${entry.originalLine + 1}`;
  }
  return `${name} ${relative(ROOT, fileURLToPath(frame.url))}:${frame.lineNumber + 1}`;
}

function top(map, count) {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
}

/**
 * A sampling heap profile over `calls` calls: all bytes sampled per call, and the top sites under
 * proxy frames (the allocating frame; a builtin or bench frame is named with the nearest proxy
 * frame below it).
 */
export function summarizeAllocations(profile, calls, count = 15) {
  const sites = new Map();
  const walk = (node, nearest) => {
    const here = isProxy(node.callFrame) ? node.callFrame : nearest;
    if (node.selfSize > 0 && here !== undefined) {
      const key = here === node.callFrame ? frameName(here) : `${frameName(node.callFrame)} ← ${frameName(here)}`;
      sites.set(key, (sites.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, undefined);
  return {
    bytesPerCall: sampledBytes(profile) / calls,
    sites: top(sites, count).map(([site, bytes]) => ({ site, bytesPerCall: bytes / calls })),
  };
}

/** Total sampled bytes of a heap profile (the sampler self-check). */
export function sampledBytes(profile) {
  let sum = 0;
  const walk = (node) => {
    sum += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(profile.head);
  return sum;
}

/**
 * A .cpuprofile: the top functions by self time, as µs per call and share of the round. A sample's
 * delta (time since the previous sample) counts for it; Profiler.start and .stop are left out.
 */
export function summarizeCpu(profile, calls, count = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inspector = new Map();
  const underInspector = (id) => {
    if (id === undefined) return false;
    if (!inspector.has(id)) inspector.set(id, byId.get(id).callFrame.url === 'node:inspector' || underInspector(parent.get(id)));
    return inspector.get(id);
  };
  const self = new Map();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    if (underInspector(id)) continue;
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const key = frameName(byId.get(id).callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  return top(self, count).map(([fn, us]) => ({ fn, usPerCall: us / calls, share: total > 0 ? us / total : 0 }));
}
