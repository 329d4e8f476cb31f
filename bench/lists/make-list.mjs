// Synthetic dispatcher.list files for the list-scale bench: `count` destinations spread over
// `sets` sets, every one a loopback address (127.1.x.y, port 5060 + generation) so that a
// "changed" list (another generation) differs in every destination.

/**
 * `sink` (a loopback port) points every destination at one UDP server instead, told apart by
 * their user part, for the probe-pacing mode.
 * @param {{ count: number, sets?: number, generation?: number, flags?: number, sink?: number }} o
 * @returns {string}
 */
export function makeList(o) {
  const sets = o.sets ?? 50;
  const port = 5060 + (o.generation ?? 0);
  const flags = o.flags ?? 0;
  let out = '# setid destination flags priority attrs\n';
  for (let i = 0; i < o.count; i++) {
    const set = 1 + (i % sets);
    const uri = o.sink === undefined ? `sip:127.1.${(i >> 8) & 255}.${i & 255}:${port}` : `sip:d${i}g${o.generation ?? 0}@127.0.0.1:${o.sink}`;
    out += `${set} ${uri} ${flags} 0 duid=d${i}\n`;
  }
  return out;
}
