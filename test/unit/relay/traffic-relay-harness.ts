/**
 * The real relay (Dispatcher, DispatcherAdapter, TransactionLayer, Relay and the transport's
 * MessageReceiver) over an in-memory wire, with time on a ManualScheduler and a pressure gauge the
 * test sets by hand. Sources and targets are on 127.0.0.1.
 */
import { pino } from 'pino';
import { DispatcherAdapter } from '../../../src/stack/dispatcher-adapter.js';
import { createDispatcher } from '../../../src/stack/create-dispatcher.js';
import { relayOptions, statelessSource } from '../../../src/stack/sip-stack.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { Relay } from '../../../src/relay/relay.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { parseMessage } from '../../../src/sip/parse-message.js';
import type { SipMessage } from '../../../src/sip/message.js';
import { timerValues } from '../../../src/transaction/timers.js';
import { TransactionLayer } from '../../../src/transaction/transaction-layer.js';
import type { Target } from '../../../src/shared/addresses.js';
import { MessageReceiver } from '../../../src/transport/message-receiver.js';
import { responseTarget } from '../../../src/transport/response-target.js';
import type { MessageSource } from '../../../src/transport/target.js';

export const PROXY = { host: '127.0.0.1', port: 5060 };
export const CALLER = { address: '127.0.0.1', port: 5090 };
/** A source in `trusted` (a carrier's trunk). */
export const TRUSTED = { address: '127.0.0.10', port: 5060 };

export interface Sent {
  target: Target;
  msg: SipMessage;
  /** First line. */
  line: string;
}

export interface RelayHarness {
  dispatcher: Dispatcher;
  scheduler: ManualScheduler;
  transactions: TransactionLayer;
  /** Set by the test: the relay reads it per message. */
  pressure: { pressured: boolean; shedding: boolean; shedShare: number; epoch: number };
  sent: Sent[];
  /** A datagram from `from` (default the caller) arrives at the proxy; `late`: after too long a wait in the UDP intake. */
  receive(text: string, from?: { address: string; port: number }, late?: boolean): void;
  /** What the proxy sent since the last call. */
  take(): Sent[];
  /** States of set 1 as `port:letters`, sorted. */
  states(): string[];
}

/** `threads`: the process's thread count, of which this relay is one (its share of the caps). */
export async function relayHarness(backendPorts: number[], overrides: Record<string, unknown> = {}, threads = 1): Promise<RelayHarness> {
  const list = backendPorts.map((p) => `1 sip:127.0.0.1:${p} 0 0`).join('\n');
  const config = await loadConfig({ listen: [`udp:${PROXY.host}:${PROXY.port}`], list: 'inline.list', log_level: 'silent', ...overrides });
  const logger = pino({ level: 'silent' });
  const dispatcher = createDispatcher(config);
  const loaded = dispatcher.load(list, 'inline.list');
  if (!loaded.ok) throw new Error(loaded.error.errors.join('; '));
  const scheduler = new ManualScheduler();
  const sent: Sent[] = [];
  const wire = {
    send(bytes: Buffer, target: Target) {
      const r = parseMessage(bytes, { maxSize: 65536 });
      if (!r.ok) throw new Error(`proxy sent unparseable bytes: ${r.error.reason}`);
      sent.push({ target, msg: r.message, line: bytes.toString('latin1', 0, bytes.indexOf('\r\n')) });
    },
    isReliable: (t: Target) => t.transport === 'tcp',
  };
  const transactions = new TransactionLayer({
    transport: wire,
    scheduler,
    timers: timerValues({ t1: config.t1, t2: config.t2, t4: config.t4, frTimer: config.fr_timer, frInvTimer: config.fr_inv_timer, waitTimer: config.wait_timer }),
    logger,
  });
  const pressure = { pressured: false, shedding: false, shedShare: 1, epoch: 0 };
  const relay = new Relay(
    {
      dispatcher: new DispatcherAdapter(dispatcher, { useDefault: false, hashFailover: 'neighbour' }),
      io: {
        send: (bytes, target) => wire.send(bytes, target),
        responseTarget: (via, source) => responseTarget(via, (source as MessageSource | undefined) ?? statelessSource(via)),
        resolve: (host) => host,
        connectionOpen: () => true,
      },
      pressure,
      trusted: (address) => address === TRUSTED.address,
      shedLast: (address) => address === TRUSTED.address,
    },
    transactions,
    relayOptions(config, { advertised: { udp: { host: PROXY.host, port: PROXY.port } }, bound: [`${PROXY.host}:${PROXY.port}`] }, threads),
    logger,
  );
  const receiver = new MessageReceiver({ maxMessageSize: 65536, forceRport: true, logger });
  receiver.setHandler((msg, source, late) => relay.receive(msg, source, late));
  const local = { address: PROXY.host, port: PROXY.port };
  return {
    dispatcher,
    scheduler,
    transactions,
    pressure,
    sent,
    receive(text, from = CALLER, late = false) {
      const source: MessageSource = { transport: 'udp', address: from.address, port: from.port, connectionId: 'udp:127.0.0.1:5060', local };
      receiver.receive(Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1'), source, (bytes, to) => wire.send(bytes, { transport: 'udp', host: to.address, port: to.port }), late);
    },
    take() {
      return sent.splice(0, sent.length);
    },
    states() {
      return dispatcher
        .list()
        .flatMap((s) => s.destinations.map((d) => `${d.uri.slice(d.uri.lastIndexOf(':') + 1)}:${d.state}`))
        .sort();
    },
  };
}

/** A request from the caller (UDP, from 127.0.0.1:5090); `toTag` makes it in-dialog. */
export function request(method: string, callId: string, opts: { branch?: string; toTag?: string; cseq?: number; ruri?: string; cseqMethod?: string } = {}): string {
  const branch = opts.branch ?? `z9hG4bK-${callId}-${method}`;
  const ruri = opts.ruri ?? 'sip:bob@127.0.0.1:5060';
  return [
    `${method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5090;branch=${branch}`,
    'Max-Forwards: 70',
    'From: <sip:alice@127.0.0.1>;tag=a1',
    `To: <sip:bob@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${opts.cseq ?? 1} ${opts.cseqMethod ?? method}`,
    'Contact: <sip:alice@127.0.0.1:5090>',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** A response to the request the proxy relayed (`sent`), as the backend would send it. */
export function responseTo(sent: Sent, status: number, reason: string, extra: string[] = []): string {
  const req = sent.msg;
  if (req.kind !== 'request') throw new Error('not a request');
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const h of req.headers) if (h.key === 'via') lines.push(`${h.name}: ${h.value}`);
  lines.push(`From: ${req.from.raw}`, `To: ${req.to.raw}${status > 100 && req.to.tag === undefined ? ';tag=b1' : ''}`, `Call-ID: ${req.callId}`, `CSeq: ${req.cseq.seq} ${req.cseq.method}`, ...extra, 'Content-Length: 0', '', '');
  return lines.join('\r\n');
}
