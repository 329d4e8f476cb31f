#!/usr/bin/env node
// A farm for bench/edge/flood.mjs, in its own process so the flood's sender does not starve it:
// it answers INVITE and BYE 200 (a Contact on the INVITE's), every other request STATUS (0: not
// at all), at once, echoing Via, From, To (with a tag), Call-ID and CSeq.
//   node bench/edge/answering-farm.mjs PORT STATUS   (prints "ready", then its count on SIGUSR2)
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
  // calls (INVITE, BYE) are always answered 200, with a Contact for the dialog; the rest with `status`
  const call = text.startsWith('INVITE ') || text.startsWith('BYE ');
  if (!call && status === 0) return;
  const code = call ? 200 : status;
  const reason = code === 200 ? 'OK' : code === 404 ? 'Not Found' : 'Answer';
  const contact = text.startsWith('INVITE ') ? `Contact: <sip:farm@127.0.0.1:${port}>\r\n` : '';
  socket.send(Buffer.from(`SIP/2.0 ${code} ${reason}\r\n${echoed.join('\r\n')}\r\n${tagged}\r\n${contact}Content-Length: 0\r\n\r\n`, 'latin1'), rinfo.port, rinfo.address);
  answered++;
});
process.on('SIGUSR2', () => console.log(`answered ${answered}`));
process.on('SIGTERM', () => socket.close());
socket.bind(port, '127.0.0.1', () => console.log('ready'));
