/**
 * Against the cold-start tail: before the sockets open, play a few thousand synthetic calls
 * (INVITE, 100, 180, 200, ACK, BYE, 200, as SIPp's uac/uas play them) through a private copy of
 * the real hot path: MessageReceiver (parse), TransactionLayer, Relay with a dispatcher, and the
 * serializer. V8 then has compiled and optimised that code before the first real datagram, so
 * the first seconds after a restart under traffic are not the slowest ones.
 *
 * Nothing leaves the process: the "sockets" are an in-memory wire, time is a ManualScheduler,
 * the destinations are loopback ports nobody is asked about. It runs before anything subscribes
 * to the events, so no metric or log sees it. It never fails the start: a surprise ends it early.
 */
import type { Logger } from '../shared/logger.js';
import { silentLogger } from '../shared/logger.js';
import { ManualScheduler } from '../shared/scheduler.js';
import type { Target } from '../shared/addresses.js';
import type { Config } from '../config/config-types.js';
import { resolveConfig } from '../config/resolve.js';
import { Relay } from '../relay/relay.js';
import { TransactionLayer } from '../transaction/transaction-layer.js';
import { timerValues } from '../transaction/timers.js';
import { MessageReceiver, type Reply } from '../transport/message-receiver.js';
import { responseTarget } from '../transport/response-target.js';
import { isReliable, type MessageSource } from '../transport/target.js';
import { createDispatcher } from './create-dispatcher.js';
import { DispatcherAdapter } from './dispatcher-adapter.js';
import { relayOptions, statelessSource } from './sip-stack.js';

export interface WarmUpReport {
  calls: number;
  ms: number;
}

const PROXY = { host: '127.0.0.1', port: 5060 };
const UAC_PORT = 5061;
const BACKENDS = [5071, 5072];
const LISTENER = Object.freeze({ address: PROXY.host, port: PROXY.port });
const SDP = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** What the private relay sent since the last feed. */
class Wire {
  readonly sent: Array<{ bytes: Buffer; target: Target }> = [];

  send(bytes: Buffer, target: Target): void {
    this.sent.push({ bytes, target });
  }

  isReliable(target: Target): boolean {
    return isReliable(target);
  }

  /** The message sent to one of `ports` since the last feed. */
  to(ports: readonly number[]): { bytes: Buffer; target: Target } | undefined {
    return this.sent.find((m) => ports.includes(m.target.port));
  }
}

/** Plays `calls` synthetic calls (default 3000); resolves with how many completed and how long it took. */
export function warmUp(config: Config, calls = 3000, logger: Logger = silentLogger): WarmUpReport {
  const started = performance.now();
  const scheduler = new ManualScheduler();
  const wire = new Wire();
  const dispatcher = createDispatcher(config);
  const list = BACKENDS.map((port) => `1 sip:127.0.0.1:${port} 0 0`).join('\n');
  if (!dispatcher.load(list, 'warm-up').ok) return { calls: 0, ms: 0 };
  const transactions = new TransactionLayer({ transport: wire, scheduler, timers: timerValues(resolveConfig(config).timers), logger: silentLogger });
  const identity = { advertised: { udp: PROXY }, bound: [`${PROXY.host}:${PROXY.port}`] };
  // the default route (set 1, round robin), whatever the operator's routes say
  const options = { ...relayOptions(config, identity), routes: [{ methods: [], ruriUser: undefined, set: 1, algorithm: 4, limit: 0, failoverOn: new Set([503]), maxTries: 2, hashValue: undefined, sourceGroup: undefined, onDeny: 'drop' as const }] };
  const relay = new Relay(
    {
      dispatcher: new DispatcherAdapter(dispatcher, resolveConfig(config).selection),
      io: {
        send: (bytes, target) => wire.send(bytes, target),
        responseTarget: (via, source) => responseTarget(via, (source as MessageSource | undefined) ?? statelessSource(via)),
        resolve: (host) => host,
        connectionOpen: () => false,
      },
    },
    transactions,
    options,
    silentLogger,
  );
  const receiver = new MessageReceiver({ maxMessageSize: config.max_message_size, forceRport: config.force_rport, logger: silentLogger });
  receiver.setHandler((message, source) => relay.receive(message, source));
  const reply: Reply = (bytes, to) => wire.send(bytes, { transport: to.transport, host: to.address, port: to.port });
  const expireMs = config.fr_inv_timer + 64 * config.t1;
  let done = 0;
  try {
    for (let n = 1; n <= calls; n++) {
      if (!playCall(n, receiver, reply, wire)) break;
      done++;
      scheduler.advance(expireMs);
    }
  } catch (e) {
    logger.debug({ err: e }, 'warm-up ended early');
  }
  transactions.close();
  return { calls: done, ms: Math.round(performance.now() - started) };
}

function source(port: number): MessageSource {
  return { transport: 'udp', address: '127.0.0.1', port, connectionId: `udp:${PROXY.host}:${PROXY.port}`, local: LISTENER };
}

const headerLines = (bytes: Buffer, name: string): string[] =>
  bytes.toString('latin1', 0, bytes.indexOf('\r\n\r\n')).split('\r\n').filter((l) => l.startsWith(`${name}:`));

/** One call; false when the relay did not forward as a healthy farm's proxy would. */
function playCall(n: number, receiver: MessageReceiver, reply: Reply, wire: Wire): boolean {
  const callId = `${n}-warmup@127.0.0.1`;
  const from = `From: sipp <sip:sipp@127.0.0.1:${UAC_PORT}>;tag=w${n}`;
  const to = `To: service <sip:service@${PROXY.host}:${PROXY.port}>`;
  const common = `${from}\r\n${to};tag=u${n}\r\nCall-ID: ${callId}\r\n`;
  const via = (i: number) => `Via: SIP/2.0/UDP 127.0.0.1:${UAC_PORT};branch=z9hG4bK-w-${n}-${i}`;
  const feed = (text: string, port: number) => {
    wire.sent.length = 0;
    receiver.receive(Buffer.from(text, 'latin1'), source(port), reply);
  };

  feed(`INVITE sip:service@${PROXY.host}:${PROXY.port} SIP/2.0\r\n${via(0)}\r\n${from}\r\n${to}\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\n` +
    `Contact: <sip:sipp@127.0.0.1:${UAC_PORT}>\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`, UAC_PORT);
  const invite = wire.to(BACKENDS);
  if (!invite) return false;
  const port = invite.target.port;
  const vias = headerLines(invite.bytes, 'Via').join('\r\n');
  const rr = headerLines(invite.bytes, 'Record-Route').map((l) => `${l}\r\n`).join('');
  feed(`SIP/2.0 100 Trying\r\n${vias}\r\n${from}\r\n${to}\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`, port);
  feed(`SIP/2.0 180 Ringing\r\n${vias}\r\n${rr}${common}CSeq: 1 INVITE\r\nContact: <sip:127.0.0.1:${port}>\r\nContent-Length: 0\r\n\r\n`, port);
  feed(`SIP/2.0 200 OK\r\n${vias}\r\n${rr}${common}CSeq: 1 INVITE\r\nContact: <sip:127.0.0.1:${port}>\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`, port);
  if (!wire.to([UAC_PORT])) return false;
  const routes = headerLines(invite.bytes, 'Record-Route').map((l) => `Route: ${l.slice('Record-Route:'.length).trim()}\r\n`).reverse().join('');
  const inDialog = (method: string, seq: number, i: number) =>
    `${method} sip:127.0.0.1:${port} SIP/2.0\r\n${via(i)}\r\n${routes}${common}CSeq: ${seq} ${method}\r\nContact: <sip:sipp@127.0.0.1:${UAC_PORT}>\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`;
  feed(inDialog('ACK', 1, 1), UAC_PORT);
  feed(inDialog('BYE', 2, 2), UAC_PORT);
  const bye = wire.to([port]);
  if (!bye) return false;
  feed(`SIP/2.0 200 OK\r\n${headerLines(bye.bytes, 'Via').join('\r\n')}\r\n${common}CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n`, port);
  return wire.to([UAC_PORT]) !== undefined;
}
