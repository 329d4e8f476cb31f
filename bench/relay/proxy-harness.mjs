// The real proxy core (Dispatcher, TransactionLayer, Relay and the transport's MessageReceiver)
// wired as startCore() and runApp() wire it, from the config defaults, with only the sockets
// replaced by an in-memory wire that records what the proxy sends. Time is a ManualScheduler.
import { createDispatcher } from '../../dist/stack/create-dispatcher.js';
import { DispatcherAdapter } from '../../dist/stack/dispatcher-adapter.js';
import { DnsCache } from '../../dist/transport/dns-cache.js';
import { relayOptions, statelessSource } from '../../dist/stack/sip-stack.js';
import { attachEventLogging, createLogger } from '../../dist/stack/logging.js';
import { loadConfig } from '../../dist/config/load-config.js';
import { resolveConfig } from '../../dist/config/resolve.js';
import { createMetrics } from '../../dist/metrics/create-metrics.js';
import { Relay } from '../../dist/relay/relay.js';
import { ManualScheduler } from '../../dist/shared/scheduler.js';
import { TransactionLayer } from '../../dist/transaction/transaction-layer.js';
import { timerValues } from '../../dist/transaction/timers.js';
import { MessageReceiver } from '../../dist/transport/message-receiver.js';
import { responseTarget } from '../../dist/transport/response-target.js';

export const PROXY = { host: '127.0.0.1', port: 5060 };
export const BACKEND_PORTS = [5071, 5072];
const LIST = BACKEND_PORTS.map((port) => `1 sip:127.0.0.1:${port} 0 0`).join('\n');

/**
 * What the proxy sent since the last `clear()`, in order, as parallel arrays reused from call to
 * call (the driver allocates nothing here once warm). Satisfies the transaction layer's transport
 * and the relay's stateless send.
 */
export class MemoryWire {
  bytes = [];
  targets = [];
  count = 0;
  /** Off-heap bytes the proxy handed to the "sockets" since the counter was last reset. */
  sentBytes = 0;

  send(bytes, target) {
    this.bytes[this.count] = bytes;
    this.targets[this.count] = target;
    this.count++;
    this.sentBytes += bytes.length;
  }

  isReliable(target) {
    return target.transport === 'tcp';
  }

  clear() {
    this.count = 0;
  }
}

/** A pino destination that counts lines: the hot path of a good call must log nothing. */
class CountingDestination {
  lines = 0;
  first = '';

  write(line) {
    if (this.lines++ === 0) this.first = line;
  }
}

/**
 * Builds the proxy. `observed`: metrics and event logging subscribed, as the product runs
 * (publish() costs nothing without subscribers, so the bare core is cheaper).
 */
export async function createProxyHarness({ observed }) {
  const config = await loadConfig({ listen: [`udp:${PROXY.host}:${PROXY.port}`], list: 'bench-inline.list' });
  const logs = new CountingDestination();
  const logger = createLogger({ level: config.log_level, destination: logs });
  const detachLogging = observed ? attachEventLogging(logger) : () => {};
  const dispatcher = createDispatcher(config);
  let transactions;
  const metrics = observed
    ? createMetrics({
        version: 'bench',
        transactionsActive: () => transactions?.activeCount ?? 0,
        destinations: () => dispatcher.list().flatMap((s) => s.destinations.map((d) => ({ set: String(s.id), uri: d.uri, up: d.up, state: d.state, callLoad: d.callLoad }))),
      })
    : undefined;
  const loaded = dispatcher.load(LIST, 'bench-inline.list');
  if (!loaded.ok) throw new Error(`list does not load: ${loaded.error.errors.join('; ')}`);

  const scheduler = new ManualScheduler();
  const wire = new MemoryWire();
  transactions = new TransactionLayer({
    transport: wire,
    scheduler,
    timers: timerValues(resolveConfig(config).timers),
    logger: logger.child({ component: 'transaction' }),
  });
  const dns = new DnsCache({ now: () => Date.now(), ...resolveConfig(config).dns });
  const relay = new Relay(
    {
      dispatcher: new DispatcherAdapter(dispatcher, resolveConfig(config).selection),
      io: {
        send: (bytes, target) => wire.send(bytes, target),
        responseTarget: (via, source) => responseTarget(via, source ?? statelessSource(via)),
        resolve: dns.resolve,
        connectionOpen: () => false,
      },
    },
    transactions,
    relayOptions(config, { advertised: { udp: { host: PROXY.host, port: PROXY.port } }, bound: [`${PROXY.host}:${PROXY.port}`] }),
    logger.child({ component: 'relay' }),
  );
  const receiver = new MessageReceiver({ maxMessageSize: config.max_message_size, forceRport: config.force_rport, logger: logger.child({ component: 'transport' }) });
  receiver.setHandler((msg, source) => relay.receive(msg, source));
  // Setup lines (the initial destination states) are not the hot path's.
  logs.lines = 0;
  logs.first = '';

  /** One datagram arriving on the listener, as UdpTransport hands it to the receiver. */
  const reply = (bytes, to) => wire.send(bytes, { transport: to.transport, host: to.address, port: to.port, connectionId: to.connectionId });
  return {
    config,
    scheduler,
    transactions,
    wire,
    logs,
    receive: (bytes, source) => receiver.receive(bytes, source, reply),
    close() {
      metrics?.close();
      detachLogging();
    },
  };
}
