// Self size per object kind in a V8 heap snapshot, and the difference between two: what the
// objects a flood leaves behind are made of (bench/edge/flood.mjs --snapshots).
// Plain objects are told apart by their first property names, arrays and strings by the property
// that holds them, so "ForwardContext", "string as .value" and "array as .headers" read directly.
import { readFileSync } from 'node:fs';

/** { kinds: Map<kind, {size, count}>, total } over the snapshot in `file`. */
export function summarise(file) {
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
      if (edgeTypes[edges[e + eType]] !== 'property') continue;
      const name = strings[edges[e + eName]];
      names.push(name);
      heldAs[edges[e + eTo] / f.length] ??= name;
    }
    props[n] = names;
  }
  const kinds = new Map();
  let total = 0;
  for (let n = 0; n < count; n++) {
    const i = n * f.length;
    const type = types[nodes[i + iType]];
    let kind = type;
    if (type === 'object' || type === 'native' || type === 'closure' || type === 'hidden' || type === 'array') kind += ':' + strings[nodes[i + iName]];
    if (kind === 'object:Object') kind += '{' + props[n].slice(0, 5).join(',') + '}';
    else if (type === 'array' || type.includes('string') || type === 'hidden' || type === 'code') kind += ' as .' + (heldAs[n] ?? '?');
    kind = kind.slice(0, 70);
    const size = nodes[i + iSize];
    const entry = kinds.get(kind) ?? { size: 0, count: 0 };
    entry.size += size;
    entry.count++;
    kinds.set(kind, entry);
    total += size;
  }
  return { kinds, total };
}

/** The `top` kinds that grew most from `a` to `b`, per `per` (e.g. per pending request). */
export function printGrowth(a, b, per, top, unit) {
  console.log(`heap (self sizes) ${(a.total / 1e6).toFixed(1)} → ${(b.total / 1e6).toFixed(1)} MB: ${((b.total - a.total) / per).toFixed(0)} B per ${unit}`);
  const rows = [...b.kinds]
    .map(([kind, v]) => {
      const o = a.kinds.get(kind) ?? { size: 0, count: 0 };
      return { kind, bytes: (v.size - o.size) / per, objects: (v.count - o.count) / per };
    })
    .sort((x, y) => y.bytes - x.bytes)
    .slice(0, top);
  console.log('kind'.padEnd(72) + `B/${unit}`.padStart(12) + `objects/${unit}`.padStart(18));
  for (const r of rows) console.log(r.kind.padEnd(72) + r.bytes.toFixed(0).padStart(12) + r.objects.toFixed(2).padStart(18));
}
