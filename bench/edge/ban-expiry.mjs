#!/usr/bin/env node
// When does a pike ban lift, in real time? sipdispatch with ban_expire 5: 17 OPTIONS from
// 127.0.0.66 ban it; then one OPTIONS every 50 ms until one is answered. Prints the seconds from
// the banning request to the first answer, for --runs bans (each from a fresh source address).
//   node bench/edge/ban-expiry.mjs [--runs 5]
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../e2e/free-ports.mjs';

const { values: flags } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const cli = fileURLToPath(new URL('../../dist/cli/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-bench-ban-'));
const [port, http, farm] = [await freePort(), await freePort(), dgram.createSocket('udp4')];
// the farm answers every OPTIONS 200, so an answered OPTIONS means the ban has lifted
await new Promise((r) => farm.bind(0, '127.0.0.1', r));
farm.on('message', (m, rinfo) => {
  const text = m.toString();
  const keep = text.split('\r\n').filter((l) => /^(via|from|to|call-id|cseq):/i.test(l));
  farm.send(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, rinfo.port, rinfo.address);
});
writeFileSync(join(dir, 'dispatcher.list'), `1 sip:127.0.0.1:${farm.address().port} 0 0\n`);
writeFileSync(join(dir, 'config.yaml'), 'ds_ping_interval: 0\nlog_level: error\nban_expire: 5\n');
const proxy = spawn(process.execPath, [cli, '--list', join(dir, 'dispatcher.list'), '--config', join(dir, 'config.yaml'), '--listen', `udp:127.0.0.1:${port}`, '--http', `127.0.0.1:${http}`], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 1500));
const results = [];
try {
  for (let run = 0; run < Number(flags.runs); run++) results.push(await measure(`127.0.${100 + run}.66`));
} finally {
  proxy.kill('SIGTERM');
  farm.close();
}
const sorted = [...results].sort((a, b) => a - b);
console.log(`ban_expire 5 s, lifted after: ${results.map((s) => s.toFixed(3)).join(', ')} s; median ${sorted[Math.floor(sorted.length / 2)].toFixed(3)} s`);

async function measure(address) {
  const s = dgram.createSocket('udp4');
  await new Promise((r) => s.bind(0, address, r));
  let n = 0;
  let answered = false;
  s.on('message', () => (answered = true));
  const send = () => s.send(`OPTIONS sip:1000@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP ${address}:${s.address().port};branch=z9hG4bK-b${++n}\r\nFrom: <sip:b@${address}>;tag=${n}\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: b${n}-${address}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`, port, '127.0.0.1');
  for (let i = 0; i < 16; i++) send();
  await new Promise((r) => setTimeout(r, 200));
  answered = false;
  const bannedAt = performance.now();
  send();
  for (let i = 0; i < 400 && !answered; i++) {
    await new Promise((r) => setTimeout(r, 50));
    send();
  }
  s.close();
  return (performance.now() - bannedAt) / 1000;
}
