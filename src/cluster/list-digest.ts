/** A short digest of a loaded list, equal on every instance that loaded the same destinations. */
import { createHash } from 'node:crypto';
import type { ListEntry } from '../dispatcher/list-parser.js';

/** Set, URI, flags, priority and attributes in set/URI order: line numbers and comments do not count. */
export function listDigest(entries: readonly ListEntry[]): string {
  const lines = entries.map((e) => `${e.setId} ${e.uri} ${e.flags} ${e.priority} ${e.attrs.body}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}
