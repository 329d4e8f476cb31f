// Parse throughput of the built parser under plain node (how the product runs; vitest's module
// runner slows cross-module calls): `npm run build && node bench/sip/parse-native.mjs [distDir]`.
// Best of 7 rounds of 100,000 messages each, CPU time of this process. Cases: native-cases.mjs.
import { cases, dist, operations } from './native-cases.mjs';

const N = 100_000;
const ROUNDS = 7;

function best(op, buf) {
  let top = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < N; i++) op(buf);
    const used = process.cpuUsage(t0);
    top = Math.max(top, N / ((used.user + used.system) / 1e6));
  }
  return Math.round(top);
}

console.log(`node ${process.version}, ${dist.pathname}, ${N} messages × ${ROUNDS} rounds, best round (messages/s of CPU time)`);
console.log(`| message | ${operations.map(([label]) => label).join(' | ')} |\n|---|${operations.map(() => '---|').join('')}`);
for (const [name, buf] of cases) {
  const rates = operations.map(([, op]) => best(op, buf).toLocaleString('en'));
  console.log(`| ${name} | ${rates.join(' | ')} |`);
}
