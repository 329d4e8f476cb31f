/** A short digest of a loaded list, equal on every instance that loaded the same destinations. */
import { createHash } from 'node:crypto';
import type { ListEntry } from '../dispatcher/list-parser.js';

/** Set, URI, flags, priority and attributes in set/URI order: line numbers and comments do not count. */
export function listDigest(entries: readonly ListEntry[]): string {
  // join builds each line flat, in one piece: a template leaves a chain of pieces that the sort
  // would flatten again (a third of the garbage of a large list's start-up)
  const lines = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    lines[i] = [e.setId, e.uri, e.flags, e.priority, e.attrs.body].join(' ');
  }
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex').slice(0, 16);
}
