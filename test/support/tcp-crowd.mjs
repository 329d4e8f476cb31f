#!/usr/bin/env node
// A slowloris crowd for the edge e2e test, in a process of its own (spawn it through
// `bash -c 'ulimit -n …; exec node …'`: thousands of sockets need the descriptors).
//   node test/support/tcp-crowd.mjs PORT SOURCES PER_SOURCE
// Opens PER_SOURCE connections from each of SOURCES loopback addresses 127.0.5.1, 127.0.5.2, …
// to 127.0.0.1:PORT; every other one sends half a request line and then nothing, the rest send
// nothing at all. Prints `connected N refused M` once every attempt settled, then `closed K`
// (connections the server ended) whenever that count changes. SIGTERM destroys them all.
import net from 'node:net';

const [port, sources, perSource] = process.argv.slice(2).map(Number);
const sockets = [];
let connected = 0;
let refused = 0;
let closed = 0;

function open(localAddress, partial) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress });
    sockets.push(s);
    let up = false;
    s.on('connect', () => {
      up = true;
      connected++;
      if (partial) s.write('OPTIONS sip:1000@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP ');
      resolve();
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      if (up) closed++;
      else refused++;
      resolve();
    });
  });
}

for (let i = 0; i < sources; i++) {
  const address = `127.0.5.${i + 1}`;
  await Promise.all(Array.from({ length: perSource }, (_, k) => open(address, k % 2 === 0)));
}
console.log(`connected ${connected} refused ${refused}`);
let reported = -1;
const timer = setInterval(() => {
  if (closed === reported) return;
  reported = closed;
  console.log(`closed ${closed}`);
}, 200);
process.on('SIGTERM', () => {
  clearInterval(timer);
  for (const s of sockets) s.destroy();
});
