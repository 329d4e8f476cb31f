/**
 * A SIP UAC over TLS or WSS (SIPp from Debian is built without TLS and has no WebSocket): places
 * calls INVITE -> 200 -> ACK -> BYE -> 200 over a few connections to one proxy, with a bounded
 * number in flight and a bounded total. Used by test/e2e/tls-calls.test.ts and bench/transport/.
 *
 *   node bench/transport/stream-uac.mjs --transport tls --target 127.0.0.1:5061 --ca ca.pem --calls 1000 --concurrency 50
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** Cuts a byte stream into SIP messages by Content-Length (enough for a test UAC). */
class Framer {
  buffer = Buffer.alloc(0);
  push(chunk) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out = [];
    for (;;) {
      while (this.buffer.length >= 2 && this.buffer[0] === 13 && this.buffer[1] === 10) this.buffer = this.buffer.subarray(2);
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return out;
      const head = this.buffer.subarray(0, end).toString('latin1');
      const m = /^(?:content-length|l)\s*:\s*(\d+)/im.exec(head);
      const total = end + 4 + (m ? Number(m[1]) : 0);
      if (this.buffer.length < total) return out;
      out.push(this.buffer.subarray(0, total).toString('latin1'));
      this.buffer = this.buffer.subarray(total);
    }
  }
}

function parse(text) {
  const end = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, end).split('\r\n');
  const first = lines[0];
  const headers = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const get = (n) => headers.find(([k]) => k === n)?.[1];
  const all = (n) => headers.filter(([k]) => k === n).flatMap(([, v]) => v.split(/,(?=\s*<)/).map((s) => s.trim()));
  const status = /^SIP\/2\.0 (\d{3})/.exec(first);
  const cseq = (get('cseq') ?? '').split(/\s+/);
  return { status: status ? Number(status[1]) : undefined, callId: get('call-id') ?? get('i'), cseqMethod: cseq[1], toTag: /;tag=([^;>\s]+)/.exec(get('to') ?? get('t') ?? '')?.[1], contact: /<([^>]+)>/.exec(get('contact') ?? get('m') ?? '')?.[1], recordRoute: all('record-route') };
}

/** One connection (TLS socket or WebSocket) that delivers parsed messages to `onMessage`. */
async function connect(transport, host, port, ca, onMessage) {
  if (transport === 'tls') {
    const socket = tls.connect({ host, port, ca, servername: 'localhost' });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    socket.setNoDelay(true);
    const framer = new Framer();
    socket.on('data', (chunk) => framer.push(chunk).forEach((m) => onMessage(parse(m))));
    socket.on('error', () => {});
    return { send: (text) => socket.write(text), local: socket.localPort, close: () => socket.destroy(), via: `TLS 127.0.0.1:${socket.localPort}` };
  }
  const socket = new WebSocket(`${transport}://${host}:${port}`, 'sip', { ca, perMessageDeflate: false });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  socket.on('message', (data) => onMessage(parse(data.toString('latin1'))));
  socket.on('error', () => {});
  const name = `${Math.random().toString(36).slice(2, 10)}.invalid`;
  return { send: (text) => socket.send(text), close: () => socket.terminate(), via: `${transport.toUpperCase()} ${name}` };
}

/**
 * Places `calls` calls with at most `concurrency` in flight over `connections` connections.
 * Resolves with counts and the INVITE -> 200 latencies in ms; a call not answered within
 * `callTimeoutMs` counts as failed.
 */
export async function runStreamCalls({ transport, host, port, ca, calls, concurrency, connections = 1, callTimeoutMs = 10_000, uri = 'sip:1000@example.com' }) {
  const pending = new Map();
  const onMessage = (m) => pending.get(m.callId)?.(m);
  const conns = [];
  for (let i = 0; i < connections; i++) conns.push(await connect(transport, host, port, ca, onMessage));
  // unique across runs of one process: a UAS that outlives a run must never see a Call-ID twice
  const runId = Math.random().toString(36).slice(2, 8);
  let started = 0;
  let ok = 0;
  let failed = 0;
  const setup = [];
  const one = async (n) => {
    const conn = conns[n % conns.length];
    const callId = `${transport}-${process.pid}-${runId}-${n}@uac`;
    const tag = `t${n}`;
    let branch = 0;
    const base = (method, cseq, ruri, route, toTag) => [
      `${method} ${ruri} SIP/2.0`,
      `Via: SIP/2.0/${conn.via};branch=z9hG4bK-${callId.replace(/[^a-z0-9]/gi, '')}-${++branch};rport`,
      ...route.map((r) => `Route: ${r}`),
      'Max-Forwards: 70',
      `From: <sip:alice@example.com>;tag=${tag}`,
      `To: <${uri}>${toTag ? `;tag=${toTag}` : ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:alice@127.0.0.1;transport=${transport === 'tls' ? 'tls' : 'ws'}>`,
    ];
    const waitFor = (pred) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`call ${callId} timed out`)), callTimeoutMs);
      pending.set(callId, (m) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        resolve(m);
      });
    });
    try {
      const t0 = performance.now();
      const answered = waitFor((m) => m.cseqMethod === 'INVITE' && m.status >= 200);
      conn.send([...base('INVITE', 1, uri, []), 'Content-Type: application/sdp', `Content-Length: ${SDP.length}`, '', SDP].join('\r\n'));
      const res = await answered;
      if (res.status !== 200) throw new Error(`INVITE got ${res.status}`);
      setup.push(performance.now() - t0);
      const route = [...res.recordRoute].reverse();
      conn.send([...base('ACK', 1, res.contact, route, res.toTag), 'Content-Length: 0', '', ''].join('\r\n'));
      const byeAnswered = waitFor((m) => m.cseqMethod === 'BYE' && m.status >= 200);
      conn.send([...base('BYE', 2, res.contact, route, res.toTag), 'Content-Length: 0', '', ''].join('\r\n'));
      const bye = await byeAnswered;
      if (bye.status !== 200) throw new Error(`BYE got ${bye.status}`);
      ok++;
    } catch {
      failed++;
    } finally {
      pending.delete(callId);
    }
  };
  const workers = [];
  for (let w = 0; w < Math.min(concurrency, calls); w++) {
    workers.push((async () => {
      while (started < calls) await one(started++);
    })());
  }
  const t0 = performance.now();
  await Promise.all(workers);
  const seconds = (performance.now() - t0) / 1000;
  for (const c of conns) c.close();
  return { ok, failed, seconds, setupMs: setup };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
  const [host, port] = (args.target ?? '127.0.0.1:5061').split(':');
  const result = await runStreamCalls({
    transport: args.transport ?? 'tls', host, port: Number(port), ca: args.ca ? readFileSync(args.ca) : undefined,
    calls: Number(args.calls ?? 1000), concurrency: Number(args.concurrency ?? 50), connections: Number(args.connections ?? 1),
  });
  process.stdout.write(`${JSON.stringify({ ok: result.ok, failed: result.failed, seconds: result.seconds, callsPerSecond: result.ok / result.seconds })}\n`);
}
