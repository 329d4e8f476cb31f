/**
 * The main thread's side of `workers: N`: starts threads 1..N-1 (relay-worker.ts) reading the UDP
 * sockets the main thread bound (by descriptor: Kamailio's children all read the one socket), wires
 * a MessageChannel between every pair for handed-off datagrams, keeps their dispatcher replicas in
 * step with the authoritative dispatcher, re-publishes their events, applies the failures they
 * report, and drains them all on stop. A thread that dies takes the shared sockets with it (its
 * teardown closes the descriptors), so a crashed worker ends the process, as a crashed child ends
 * Kamailio: `onLostSockets`. Loaded only when more than one thread runs.
 */
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { Logger as PinoLogger } from 'pino';
import type { Config } from '../config/config-types.js';
import { resolveConfig } from '../config/resolve.js';
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import type { Snapshot } from '../dispatcher/snapshot.js';
import type { ListenSpec } from '../shared/addresses.js';
import { SipDispatchError } from '../shared/errors.js';
import { subscribe } from '../shared/events.js';
import { setBranchTag } from '../sip/build.js';
import { STATELESS_TAG } from '../sip/stateless-ack.js';
import type { DatagramRouter } from '../transport/transport-manager.js';
import { DatagramHandoff, hasFlowListeners } from './datagram-handoff.js';
import type { Ban } from '../edge/ban-table.js';
import { allocateEdgeTables, type SharedEdgeTables } from '../edge/edge-guard.js';
import { systemScheduler } from '../shared/scheduler.js';
import { findUdpSocketFd } from '../transport/socket-fd.js';
import { republish } from './event-bridge.js';
import { applyFailureReport } from './replica-dispatcher.js';
import type { SipStack } from '../stack/sip-stack.js';
import { threadBranchTag } from './thread-router.js';
import type { FromWorker, SharedBan, ToWorker, WorkerStart } from './worker-messages.js';

const WORKER_URL = new URL('./relay-worker.js', import.meta.url);
const START_TIMEOUT_MS = 20_000;
/** Catches list changes that publish no event (dispatcher.remove). */
const SNAPSHOT_CHECK_MS = 1000;
/** Time a worker gets beyond drain_timeout to report it stopped. */
const STOP_GRACE_MS = 5000;

export interface WorkerPoolOptions {
  readonly config: Config;
  /** Threads in all, the main thread included (> 1). */
  readonly threads: number;
  readonly dispatcher: Dispatcher;
  readonly logger: PinoLogger;
  /** The worker script (tests); default the compiled relay-worker.js beside this file. */
  readonly workerUrl?: URL;
  /** A started worker died: the UDP sockets every thread read are closed (the process must end). */
  readonly onLostSockets: (worker: number, reason: string) => void;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  transactions: number;
  handoffs: number;
  onDrained: (() => void) | undefined;
  onStopped: (() => void) | undefined;
}

export class WorkerPool {
  private readonly alive: Int32Array;
  /** pike's and authban's tables, one for all threads (their buffers go to every worker). */
  readonly edgeTables: SharedEdgeTables;
  private readonly handoff: DatagramHandoff;
  private readonly slots: Slot[] = [];
  private stack: SipStack | undefined;
  private sent: Snapshot | undefined;
  /** A sync went out this turn of the event loop; `syncDirty`: something changed since. */
  private syncQueued = false;
  private syncDirty = false;
  private stopping = false;
  private readonly unsubscribers: Array<() => void> = [];
  private snapshotCheck: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerPoolOptions) {
    this.alive = new Int32Array(new SharedArrayBuffer(4 * options.threads));
    Atomics.store(this.alive, 0, 1);
    const shared = allocateEdgeTables(resolveConfig(options.config).edge, performance.timeOrigin + performance.now());
    this.edgeTables = { ...shared, originMs: performance.timeOrigin };
    this.handoff = new DatagramHandoff(0, options.threads, this.alive, hasFlowListeners(resolveConfig(options.config).transport.listen));
    for (let index = 1; index < options.threads; index++) {
      this.slots.push({ index, worker: undefined, transactions: 0, handoffs: 0, onDrained: undefined, onStopped: undefined });
    }
    setBranchTag(threadBranchTag(0));
  }

  /** The main thread's transport router (set before its sockets open). */
  get route(): DatagramRouter {
    return this.handoff.route;
  }

  /** Starts every worker on the ports `stack` bound; rejects, with all of them stopped, if one cannot start. */
  async start(stack: SipStack): Promise<void> {
    this.stack = stack;
    const sync = (): void => this.queueSync();
    this.unsubscribers.push(subscribe('destination.state', sync), subscribe('list.reload', sync), subscribe('probe.result', sync));
    this.sent = this.options.dispatcher.snapshot;
    try {
      for (const slot of this.slots) await this.spawn(slot);
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.snapshotCheck = setInterval(() => this.options.dispatcher.snapshot !== this.sent && this.queueSync(), SNAPSHOT_CHECK_MS);
    this.snapshotCheck.unref();
  }

  /**
   * A ban thread `from` made (0: this one): every other thread applies it, so a source spread over
   * the threads by its ports is silenced on all of them at once.
   */
  shareBan(ban: Ban, from = 0): void {
    const shared: SharedBan = { key: ban.key, reason: ban.reason, remainingMs: ban.until - systemScheduler.now() };
    for (const slot of this.slots) if (slot.worker && slot.index !== from) this.post(slot.worker, { type: 'ban', ban: shared });
  }

  /** The admin API lifted a ban (`key` undefined: all of them): the workers lift it too. */
  liftBan(key: string | undefined): void {
    for (const slot of this.slots) if (slot.worker) this.post(slot.worker, { type: 'unban', key });
  }

  /** Datagrams each thread handed to another one, by thread index. */
  handoffs(): number[] {
    return [this.handoff.count, ...this.slots.map((s) => s.handoffs)];
  }

  /** Server transactions alive on the workers (the main thread's are counted by the caller). */
  transactions(): number {
    let n = 0;
    for (const s of this.slots) n += s.transactions;
    return n;
  }

  /**
   * Every worker takes no new calls and finishes those in flight (bounded by drain_timeout), still
   * reading the shared sockets: the main thread drains meanwhile, and closes them after stop().
   */
  async drain(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.drainSlot(slot)));
  }

  /** Drains every worker (if drain() did not), then ends the threads. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.snapshotCheck);
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    await Promise.all(this.slots.map((slot) => this.stopSlot(slot)));
    this.handoff.close();
  }

  private async drainSlot(slot: Slot): Promise<void> {
    if (slot.worker) await this.ask(slot, slot.worker, 'drain');
  }

  private async stopSlot(slot: Slot): Promise<void> {
    const worker = slot.worker;
    if (!worker) return;
    await this.ask(slot, worker, 'stop');
    Atomics.store(this.alive, slot.index, 0);
    await worker.terminate();
  }

  /** Posts `drain` or `stop` and waits for the answer (`drained`, `stopped`), bounded by drain_timeout and a grace. */
  private async ask(slot: Slot, worker: Worker, type: 'drain' | 'stop'): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<void>((resolve) => {
      if (type === 'drain') slot.onDrained = resolve;
      else slot.onStopped = resolve;
      timer = setTimeout(resolve, resolveConfig(this.options.config).lifecycle.drainTimeoutMs + STOP_GRACE_MS);
    });
    this.post(worker, { type });
    await answered;
    clearTimeout(timer);
  }

  /** Starts the slot's worker with a channel to every running thread; resolves once it listens. */
  private spawn(slot: Slot): Promise<void> {
    const stack = this.stack!;
    const peers = this.connectPeers(slot.index, stack);
    const data: WorkerStart = {
      index: slot.index,
      threads: this.options.threads,
      config: this.options.config,
      listen: udpListeners(stack),
      identity: stack.identity,
      statelessTag: STATELESS_TAG,
      replica: this.options.dispatcher.replicaState(true),
      peers,
      alive: this.alive.buffer as SharedArrayBuffer,
      edgeTables: { pike: this.edgeTables.pike, authban: this.edgeTables.authban },
    };
    const worker = new Worker(this.options.workerUrl ?? WORKER_URL, { workerData: data, transferList: peers.filter((p): p is MessagePort => p !== undefined) });
    slot.worker = worker;
    slot.transactions = 0;
    slot.handoffs = 0;
    return this.whenReady(slot, worker);
  }

  /** A new channel between thread `index` and every running thread; returns `index`'s ends. */
  private connectPeers(index: number, stack: SipStack): Array<MessagePort | undefined> {
    const peers = new Array<MessagePort | undefined>(this.options.threads).fill(undefined);
    for (let other = 0; other < this.options.threads; other++) {
      const running = other === 0 ? undefined : this.slots[other - 1]?.worker;
      if (other === index || (other !== 0 && !running)) continue;
      const { port1, port2 } = new MessageChannel();
      peers[other] = port1;
      if (other === 0) this.handoff.connect(index, port2, stack.transport);
      else this.post(running!, { type: 'peer', index, port: port2 }, [port2]);
    }
    return peers;
  }

  /** Resolves on the worker's `ready`; rejects with WORKER_FAILED (and ends it) if it fails, exits or hangs first. */
  private whenReady(slot: Slot, worker: Worker): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const fail = (reason: string): void => {
        clearTimeout(timer);
        if (started) return;
        if (slot.worker === worker) slot.worker = undefined;
        void worker.terminate();
        reject(new SipDispatchError('WORKER_FAILED', `worker ${slot.index}: ${reason}`, { worker: slot.index }));
      };
      const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          started = true;
          clearTimeout(timer);
          Atomics.store(this.alive, slot.index, 1);
          resolve();
        } else if (m.type === 'failed') fail(m.message);
        else this.receive(slot, m);
      });
      worker.on('error', (e) => {
        if (started) this.options.logger.error({ err: e, worker: slot.index }, 'worker thread crashed');
        else fail(e.message);
      });
      worker.on('exit', (code) => {
        if (started) this.exited(slot, worker, code);
        else fail(`exited with code ${code} before it listened`);
      });
    });
  }

  private receive(slot: Slot, m: FromWorker): void {
    switch (m.type) {
      case 'events':
        republish(m.events);
        return;
      case 'stats':
        slot.transactions = m.transactions;
        slot.handoffs = m.handoffs;
        return;
      case 'mark-failure':
        applyFailureReport(this.options.dispatcher, m.failure);
        return;
      case 'ban': {
        const now = systemScheduler.now();
        const ban = this.stack?.edge.bans.ban(m.ban.key, m.ban.reason, now, m.ban.remainingMs);
        if (ban) this.shareBan(ban, slot.index);
        return;
      }
      case 'drained':
        slot.onDrained?.();
        return;
      case 'stopped':
        slot.onStopped?.();
        return;
      default:
        return;
    }
  }

  private exited(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    Atomics.store(this.alive, slot.index, 0);
    slot.worker = undefined;
    slot.transactions = 0;
    slot.onDrained?.();
    slot.onStopped?.();
    if (this.stopping) return;
    this.options.logger.fatal({ worker: slot.index, code }, 'worker thread exited: the UDP sockets all threads read are closed with it');
    this.options.onLostSockets(slot.index, `worker thread ${slot.index} exited with code ${code}`);
  }

  /**
   * Sends the dispatcher's state to every worker at once (the first change of a turn of the event
   * loop), and once more at the end of the turn if more changed meanwhile (a reload announces every
   * destination): workers follow within one message, and a burst costs two.
   */
  private queueSync(): void {
    if (this.stopping) return;
    if (this.syncQueued) {
      this.syncDirty = true;
      return;
    }
    this.syncQueued = true;
    this.sync();
    setImmediate(() => {
      this.syncQueued = false;
      if (!this.syncDirty) return;
      this.syncDirty = false;
      this.sync();
    });
  }

  private sync(): void {
    const snapshot = this.options.dispatcher.snapshot;
    const state = this.options.dispatcher.replicaState(snapshot !== this.sent);
    this.sent = snapshot;
    for (const slot of this.slots) if (slot.worker) this.post(slot.worker, { type: 'replica', state });
  }

  private post(worker: Worker, message: ToWorker, transfer?: MessagePort[]): void {
    worker.postMessage(message, transfer);
  }
}

/** The UDP listeners as bound (port 0 resolved), with the descriptors the workers open. */
function udpListeners(stack: SipStack): ListenSpec[] {
  return stack.transport
    .addresses()
    .filter((b) => b.transport === 'udp')
    .map((b) => {
      const fd = findUdpSocketFd(b.address, b.port, b.family);
      if (fd === undefined) throw new SipDispatchError('WORKER_FAILED', `no descriptor found for the UDP socket ${b.id} in /proc`, { listener: b.id });
      return { transport: 'udp', host: b.address, port: b.port, family: b.family, fd };
    });
}
