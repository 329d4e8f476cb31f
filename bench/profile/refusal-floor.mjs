#!/usr/bin/env node
// The floor under a refusal in Node: what receiving an INVITE, sending a 503 and receiving its ACK
// cost with no SIP work at all (no parse, no Via stamping, no metrics, one thread). Every request
// but ACK is answered by copying its Via, From, To, Call-ID and CSeq lines (OPTIONS with 200, the
// bench's readiness ping); ACKs are dropped. It takes the sipdispatch CLI's --listen and --http
// flags, so the end-to-end bench runs it in the proxy's place (issue #11, bench/RESULTS.md):
//   node bench/e2e/run.mjs --targets sipdispatch --rates 12000 --seconds 10 --warmup 0 \
//     --sipdispatch-cli bench/profile/refusal-floor.mjs
// and its "proxy CPU s" over the calls is the CPU of one refused call. Loopback only: it binds
// where the bench tells it to.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';

const flag = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const hostPort = (value) => {
  const colon = value.lastIndexOf(':');
  return [value.slice(0, colon), Number(value.slice(colon + 1))];
};
const listen = flag('--listen');
if (!listen?.startsWith('udp:')) {
  console.error('usage: refusal-floor.mjs --listen udp:HOST:PORT [--http HOST:PORT]');
  process.exit(2);
}
const [host, port] = hostPort(listen.slice(4));
const COPIED = ['via:', 'from:', 'to:', 'call-id:', 'cseq:'];
const LF = 10;
const CR = 13;

const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
socket.on('message', (bytes, from) => {
  if (bytes.latin1Slice(0, 4) === 'ACK ') return;
  let reply = bytes.latin1Slice(0, 8) === 'OPTIONS ' ? 'SIP/2.0 200 OK\r\n' : 'SIP/2.0 503 Service Unavailable\r\n';
  let at = bytes.indexOf(LF) + 1;
  while (at > 0 && at < bytes.length && bytes[at] !== CR) {
    const end = bytes.indexOf(LF, at);
    if (end < 0) break;
    const line = bytes.latin1Slice(at, end + 1);
    const name = line.slice(0, 9).toLowerCase();
    const copied = COPIED.find((n) => name.startsWith(n));
    if (copied === 'to:') reply += `${line.slice(0, -2)};tag=floor\r\n`;
    else if (copied) reply += line;
    at = end + 1;
  }
  socket.send(`${reply}Retry-After: 5\r\nContent-Length: 0\r\n\r\n`, from.port, from.address);
});
socket.bind(port, host);

const http = flag('--http');
if (http) {
  const [httpHost, httpPort] = hostPort(http);
  createServer((_, res) => res.end('ready')).listen(httpPort, httpHost);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
