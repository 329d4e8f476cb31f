// Parse throughput of the built parser under plain node (how the product runs; vitest's module
// runner slows cross-module calls): `npm run build && node bench/sip/parse-native.mjs`.
// Best of 7 rounds of 100,000 messages each, CPU time of this process.
import { readFileSync } from 'node:fs';
import { parseMessage } from '../../dist/sip/parse-message.js';
import { serialize } from '../../dist/sip/serialize.js';

const fixture = (name) => readFileSync(new URL(`../../test/fixtures/sip/${name}`, import.meta.url));
const cases = [
  ['INVITE 1 KB', fixture('invite-1k.sip')],
  ['200 OK with SDP', fixture('ok-sdp.sip')],
  ['small OPTIONS', fixture('options.sip')],
];
const N = 100_000;
const ROUNDS = 7;

function best(fn) {
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) fn();
    const used = process.cpuUsage(t0);
    top = Math.max(top, N / ((used.user + used.system) / 1e6));
  }
  return Math.round(top);
}

console.log(`node ${process.version}, ${N} messages × ${ROUNDS} rounds, best round (messages/s of CPU time)`);
console.log('| message | parse | parse + serialize |\n|---|---|---|');
for (const [name, buf] of cases) {
  if (!parseMessage(buf).ok) throw new Error(`${name} does not parse`);
  const parse = best(() => parseMessage(buf));
  const both = best(() => {
    const r = parseMessage(buf);
    if (r.ok) serialize(r.message);
  });
  console.log(`| ${name} | ${parse.toLocaleString('en')} | ${both.toLocaleString('en')} |`);
}
