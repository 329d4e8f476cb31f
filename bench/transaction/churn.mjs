// Transaction churn: the four transactions of one proxied call (INVITE and BYE, server and client
// side) created, answered and ended through the built TransactionLayer with a fake UDP transport.
//   npx tsc -p tsconfig.build.json
//   node --expose-gc --single-threaded-gc --min-semi-space-size=16 \
//     bench/transaction/churn.mjs [dist] [scheduler-dist]
// `dist` (default ./dist) is the build under test; `scheduler-dist` (default: the same) is where
// ManualScheduler is loaded from, so two builds can be compared on one fake clock.
// Messages are parsed before each timed batch: the figures are transaction work only.
//  - system: systemScheduler (real Node timers, as in production); each call stops in the states
//    that absorb retransmissions (timers M, L, K, J pending), as a proxy holds its last calls.
//    CPU ns per call, bytes allocated per call (heap growth over a batch with no GC in it), bytes
//    retained per live call (heap with the calls alive minus heap once they are closed).
//    Over a round, calls pile up in those states (10,000 calls, 40,000 transactions) until close().
//  - manual: ManualScheduler; the clock then runs past every timer, so each call ends for good.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = resolve(process.argv[2] ?? 'dist');
const schedulerDist = resolve(process.argv[3] ?? dist);
const load = (root, path) => import(pathToFileURL(`${root}/${path}`).href);
const { systemScheduler } = await load(dist, 'shared/scheduler.js');
const { ManualScheduler } = await load(schedulerDist, 'shared/scheduler.js');
const { silentLogger } = await load(dist, 'shared/logger.js');
const { parseMessage } = await load(dist, 'sip/parse-message.js');
const { timerValues } = await load(dist, 'transaction/timers.js');
const { TransactionLayer } = await load(dist, 'transaction/transaction-layer.js');

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const gc = globalThis.gc;

const BATCH = 500;
const ROUNDS = 5;
const CALLS_PER_ROUND = 10_000;
const LIVE_CALLS = 10_000;
const ALLOC_BATCH = 500;
const ALLOC_BATCHES = 7;

const CALLER = { transport: 'udp', host: '192.0.2.10', port: 5060 };
const BACKEND = { transport: 'udp', host: '192.0.2.20', port: 5060 };
const timers = timerValues({ t1: 500, t2: 4000, t4: 5000, frTimer: 5000, frInvTimer: 120_000 });

class FakeTransport {
  sends = 0;
  send() {
    this.sends++;
  }
  isReliable() {
    return false;
  }
}

const clientUser = { releasesRequest: true, onResponse() {}, onTimeout() {}, onTransportError() {} };
const serverUser = { releasesRequest: true };

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

function parse(text) {
  const r = parseMessage(Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1'));
  if (!r.ok) throw new Error(r.error.reason);
  return r.message;
}

/** The 11 messages one call brings to the transaction layer (responses as forwarded by the relay). */
function callMessages(i) {
  const caller = `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKc${i};rport`;
  const ours = (tag) => `Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK${tag}${i}`;
  const dialog = (method, seq, toTag) =>
    `From: <sip:alice@a.example.com>;tag=f${i}\nTo: <sip:bob@b.example.com>${toTag ? `;tag=t${i}` : ''}\nCall-ID: call${i}@a.example.com\nCSeq: ${seq} ${method}`;
  const request = (method, seq, vias, toTag, body = '') =>
    `${method} sip:bob@b.example.com SIP/2.0\n${vias}\nMax-Forwards: 70\n${dialog(method, seq, toTag)}\nContact: <sip:alice@192.0.2.10>\nContent-Length: ${body.length}\n\n${body}`;
  const response = (status, reason, method, seq, vias, toTag) =>
    `SIP/2.0 ${status} ${reason}\n${vias}\n${dialog(method, seq, toTag)}\nContent-Length: 0\n\n`;
  const invite = (vias) => request('INVITE', 1, vias, false, SDP);
  const bye = (vias) => request('BYE', 2, vias, true);
  const both = (tag) => `${ours(tag)}\n${caller}`;
  return {
    inviteIn: parse(invite(caller)),
    inviteOut: parse(invite(both('p'))),
    trying: parse(response(100, 'Trying', 'INVITE', 1, both('p'), false)),
    ringing: parse(response(180, 'Ringing', 'INVITE', 1, both('p'), true)),
    ok: parse(response(200, 'OK', 'INVITE', 1, both('p'), true)),
    ringingBack: parse(response(180, 'Ringing', 'INVITE', 1, caller, true)),
    okBack: parse(response(200, 'OK', 'INVITE', 1, caller, true)),
    byeIn: parse(bye(caller)),
    byeOut: parse(bye(both('b'))),
    byeOk: parse(response(200, 'OK', 'BYE', 2, both('b'), true)),
    byeOkBack: parse(response(200, 'OK', 'BYE', 2, caller, true)),
  };
}

let nextCall = 0;
const batchMessages = (n) => Array.from({ length: n }, () => callMessages(nextCall++));

/** One batch of calls to the absorbing states; the INVITE server transactions send 100 Trying in between. */
async function runCalls(layer, calls) {
  const servers = new Array(calls.length);
  for (let i = 0; i < calls.length; i++) {
    const m = calls[i];
    servers[i] = layer.receiveRequest(m.inviteIn, CALLER, serverUser).tx;
    layer.createClient(m.inviteOut, BACKEND, clientUser);
  }
  await Promise.resolve();
  for (let i = 0; i < calls.length; i++) {
    const m = calls[i];
    layer.receiveResponse(m.trying);
    layer.receiveResponse(m.ringing);
    servers[i].respond(m.ringingBack);
    layer.receiveResponse(m.ok);
    servers[i].respond(m.okBack);
  }
  for (const m of calls) {
    const bye = layer.receiveRequest(m.byeIn, CALLER, serverUser).tx;
    layer.createClient(m.byeOut, BACKEND, clientUser);
    layer.receiveResponse(m.byeOk);
    bye.respond(m.byeOkBack);
  }
}

function newLayer(scheduler) {
  const transport = new FakeTransport();
  return { transport, layer: new TransactionLayer({ transport, scheduler, timers, logger: silentLogger }) };
}

const heapUsed = () => process.memoryUsage().heapUsed;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One batch on `layer`; the manual clock then runs past every timer, ending every call. */
async function batch(mode, layer, scheduler, calls) {
  await runCalls(layer, calls);
  if (mode === 'manual') scheduler.advance(timers.H + timers.L);
}

const schedulerFor = (mode) => (mode === 'manual' ? new ManualScheduler() : systemScheduler);

/**
 * CPU ns per call over one round: this process's CPU time (the machine is shared; wall time is
 * not the measure), with GC on the main thread (--single-threaded-gc) so it is counted where it
 * falls. Nothing forces a GC: the round pays for the collections its allocations cause.
 */
async function round(mode) {
  const scheduler = schedulerFor(mode);
  const { layer } = newLayer(scheduler);
  let cpuMicros = 0;
  for (let done = 0; done < CALLS_PER_ROUND; done += BATCH) {
    const calls = batchMessages(BATCH);
    const c0 = process.cpuUsage();
    await batch(mode, layer, scheduler, calls);
    const used = process.cpuUsage(c0);
    cpuMicros += used.user + used.system;
  }
  if (mode === 'manual' && layer.activeCount !== 0) throw new Error(`${layer.activeCount} transactions left`);
  layer.close();
  return (cpuMicros * 1000) / CALLS_PER_ROUND;
}

/**
 * Bytes allocated per call, median of ALLOC_BATCHES batches: a full GC first empties the young
 * generation (the parsed messages move out), which is large enough (--min-semi-space-size=16)
 * to take a whole batch without collecting: heap growth is what the batch allocated.
 */
async function allocated(mode) {
  const scheduler = schedulerFor(mode);
  const { layer } = newLayer(scheduler);
  const perCall = [];
  for (let b = 0; b < ALLOC_BATCHES; b++) {
    const calls = batchMessages(ALLOC_BATCH);
    gc();
    const h0 = heapUsed();
    await batch(mode, layer, scheduler, calls);
    perCall.push((heapUsed() - h0) / ALLOC_BATCH);
  }
  layer.close();
  return median(perCall);
}

/** Heap held by LIVE_CALLS calls in their absorbing states, per call. */
async function retained() {
  const { layer, transport } = newLayer(systemScheduler);
  for (let done = 0; done < LIVE_CALLS; done += BATCH) await runCalls(layer, batchMessages(BATCH));
  gc();
  const alive = heapUsed();
  const active = layer.activeCount;
  layer.close();
  gc();
  return { perCall: (alive - heapUsed()) / LIVE_CALLS, active, sendsPerCall: transport.sends / LIVE_CALLS };
}

console.log(`node ${process.version}, dist ${dist}, ManualScheduler from ${schedulerDist}`);
console.log(`${ROUNDS} rounds × ${CALLS_PER_ROUND} calls (4 transactions each), batches of ${BATCH}`);
for (const mode of ['system', 'manual']) {
  await round(mode);
  const ns = [];
  for (let r = 0; r < ROUNDS; r++) ns.push(await round(mode));
  const bytes = await allocated(mode);
  console.log(
    `${mode}: CPU ns/call best ${Math.round(Math.min(...ns))} median ${Math.round(median(ns))}` +
      ` (per transaction ${Math.round(median(ns) / 4)}); allocated ${Math.round(bytes)} B/call`,
  );
}
const live = await retained();
console.log(`retained per live call (4 transactions, timers pending): ${Math.round(live.perCall)} B; ${live.active} transactions live; ${live.sendsPerCall} sends/call`);
