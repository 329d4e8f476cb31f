#!/usr/bin/env node
// A farm that answers every request with one status at once (Via, From, To with a tag, Call-ID
// and CSeq echoed), for bench/edge/flood.mjs --answer: its own process, so the flood's sender does
// not starve it.   node bench/edge/answering-farm.mjs PORT STATUS   (prints "ready", then counts on SIGUSR2)
import dgram from 'node:dgram';

const [port, status] = process.argv.slice(2).map(Number);
const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 16 << 20 });
let answered = 0;
socket.on('message', (msg, rinfo) => {
  const text = msg.toString('latin1');
  if (text.startsWith('SIP/2.0') || text.startsWith('ACK ')) return;
  const lines = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
  const echoed = lines.filter((l) => /^(via|v|from|f|call-id|i|cseq):/i.test(l));
  const to = lines.find((l) => /^(to|t):/i.test(l));
  const tagged = /;tag=/i.test(to ?? '') ? to : `${to};tag=farm${answered}`;
  const reason = status === 200 ? 'OK' : status === 404 ? 'Not Found' : 'Answer';
  socket.send(Buffer.from(`SIP/2.0 ${status} ${reason}\r\n${echoed.join('\r\n')}\r\n${tagged}\r\nContent-Length: 0\r\n\r\n`, 'latin1'), rinfo.port, rinfo.address);
  answered++;
});
process.on('SIGUSR2', () => console.log(`answered ${answered}`));
process.on('SIGTERM', () => socket.close());
socket.bind(port, '127.0.0.1', () => console.log('ready'));
