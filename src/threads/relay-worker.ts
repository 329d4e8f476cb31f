/**
 * A relay worker thread (`workers: N`, threads 1..N-1): it reads the main thread's UDP sockets
 * (opened by descriptor) and runs its own transactions and relay, over a replica of the main
 * thread's dispatcher. Datagrams another
 * thread owns are handed over; its events, statistics and destination failures go to the main
 * thread; dispatcher state, new peers and the stop order come from it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { deepFreeze } from '../config/load-config.js';
import { resolveConfig } from '../config/resolve.js';
import { systemClock } from '../shared/clock.js';
import { isSipDispatchError } from '../shared/errors.js';
import { systemScheduler } from '../shared/scheduler.js';
import { setBranchTag } from '../sip/build.js';
import { adoptStatelessTag } from '../sip/stateless-ack.js';
import { DatagramHandoff, hasFlowListeners } from './datagram-handoff.js';
import { warmUp } from '../stack/warm-up.js';
import { EventCollector } from './event-bridge.js';
import { createLogger } from '../stack/logging.js';
import { createDispatcher } from '../stack/create-dispatcher.js';
import { ReplicaDispatcher } from './replica-dispatcher.js';
import { startSipStack, type SipStack } from '../stack/sip-stack.js';
import { threadBranchTag } from './thread-router.js';
import type { FromWorker, ToWorker, WorkerStart } from './worker-messages.js';

/** How often the transaction count and handoffs are reported (when they changed). */
const STATS_INTERVAL_MS = 100;
const CALL_EXPIRY_INTERVAL_MS = 30_000;

const parent = parentPort!;
const start = workerData as WorkerStart;
const post = (message: FromWorker): void => parent.postMessage(message);

async function run(): Promise<void> {
  const config = deepFreeze(start.config);
  setBranchTag(threadBranchTag(start.index));
  adoptStatelessTag(start.statelessTag);
  const logger = createLogger({ level: config.log_level }).child({ worker: start.index });
  const replica = createDispatcher(config);
  replica.applyReplicaState(start.replica);
  const dispatcher = new ReplicaDispatcher(replica, resolveConfig(config).selection, (failure) =>
    post({ type: 'mark-failure', failure }),
  );
  const handoff = new DatagramHandoff(start.index, start.threads, new Int32Array(start.alive), hasFlowListeners(resolveConfig(config).transport.listen));
  // before the event collector subscribes: the main thread's metrics never see the synthetic calls
  warmUp(config, config.warm_up_calls);
  const events = new EventCollector((batch) => post({ type: 'events', events: batch }), systemScheduler, { intervalMs: 100, maxBatch: 256 });
  events.start();
  let stack: SipStack;
  try {
    stack = await startSipStack(config, logger, dispatcher, {
      listen: start.listen,
      threadSockets: true,
      router: handoff.route,
      identity: start.identity,
      edgeTables: { ...start.edgeTables, originMs: performance.timeOrigin },
      threads: start.threads,
      shareBan: (ban) => post({ type: 'ban', ban: { key: ban.key, reason: ban.reason, remainingMs: ban.until - systemScheduler.now() } }),
    });
  } catch (e) {
    events.stop();
    throw e;
  }
  start.peers.forEach((port, peer) => port && handoff.connect(peer, port, stack.transport));
  let reported = { transactions: -1, handoffs: -1 };
  const report = (): void => {
    const now = { transactions: stack.transactions.activeCount, handoffs: handoff.count };
    if (now.transactions === reported.transactions && now.handoffs === reported.handoffs) return;
    reported = now;
    post({ type: 'stats', ...now });
  };
  const stats = setInterval(report, STATS_INTERVAL_MS);
  const expiry = setInterval(() => replica.expireCalls(systemClock.now()), CALL_EXPIRY_INTERVAL_MS);
  stats.unref();
  expiry.unref();
  const stop = async (): Promise<void> => {
    clearInterval(stats);
    clearInterval(expiry);
    await stack.stop();
    events.stop();
    report();
    handoff.close();
    post({ type: 'stopped' });
  };
  parent.on('message', (m: ToWorker) => {
    if (m.type === 'replica') replica.applyReplicaState(m.state);
    else if (m.type === 'drain') void stack.drain().then(() => post({ type: 'drained' }));
    else if (m.type === 'peer') handoff.connect(m.index, m.port, stack.transport);
    else if (m.type === 'ban') stack.edge.bans.ban(m.ban.key, m.ban.reason, systemScheduler.now(), m.ban.remainingMs);
    else if (m.type === 'unban') {
      if (m.key === undefined) stack.edge.bans.flush();
      else stack.edge.bans.delete(m.key);
    } else void stop();
  });
  logger.debug({ listen: start.listen.map((l) => `${l.host}:${l.port}`) }, 'relay worker started');
  post({ type: 'ready' });
}

run().catch((e: unknown) => {
  post({ type: 'failed', message: isSipDispatchError(e) || e instanceof Error ? e.message : String(e) });
});
