/**
 * What the main thread and the relay worker threads tell each other. Everything here is plain
 * data (structured clone) or a transferred MessagePort / shared buffer.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Config } from '../config/config-types.js';
import type { ReplicaState } from '../dispatcher/replica-state.js';
import type { ListenSpec } from '../shared/addresses.js';
import type { BridgedEvent } from './event-bridge.js';
import type { FailureReport } from './replica-dispatcher.js';
import type { StackIdentity } from '../stack/sip-stack.js';

/** workerData of a relay worker. */
export interface WorkerStart {
  /** This thread's index (1..threads-1; the main thread is 0). */
  readonly index: number;
  readonly threads: number;
  readonly config: Config;
  /** The UDP listeners the main thread bound, each with its socket's descriptor to read too. */
  readonly listen: readonly ListenSpec[];
  readonly identity: StackIdentity;
  /** The To tag of the process's stateless replies (stateless-ack.ts), the main thread's. */
  readonly statelessTag: string;
  readonly replica: ReplicaState;
  /** A port to every other thread, by thread index (this thread's own slot is empty). */
  readonly peers: ReadonlyArray<MessagePort | undefined>;
  /** Int32 per thread: 1 while it takes handed-off datagrams (the main thread writes it). */
  readonly alive: SharedArrayBuffer;
  /** pike's and authban's shared tables (edge-guard.ts), read on the same clock as the main thread's. */
  readonly edgeTables: { readonly pike: SharedArrayBuffer | undefined; readonly authban: SharedArrayBuffer | undefined };
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'replica'; readonly state: ReplicaState }
  /** A thread started after this one: its port. */
  | { readonly type: 'peer'; readonly index: number; readonly port: MessagePort }
  /** A ban another thread made (or the admin API lifted: `remainingMs` 0; `key` undefined = flush). */
  | { readonly type: 'ban'; readonly ban: SharedBan }
  | { readonly type: 'unban'; readonly key: string | undefined }
  /** Take no new calls, finish those in flight, keep reading the shared sockets; answer `drained`. */
  | { readonly type: 'drain' }
  | { readonly type: 'stop' };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'events'; readonly events: BridgedEvent[] }
  | { readonly type: 'stats'; readonly transactions: number; readonly handoffs: number }
  | { readonly type: 'mark-failure'; readonly failure: FailureReport }
  | { readonly type: 'ban'; readonly ban: SharedBan }
  | { readonly type: 'drained' }
  | { readonly type: 'stopped' };

/**
 * A ban as it travels between threads: the time left, not the expiry (each thread's monotonic
 * clock has its own origin).
 */
export interface SharedBan {
  readonly key: string;
  readonly reason: string;
  readonly remainingMs: number;
}

/** A datagram handed to its owner thread: bytes, UDP listener index, remote address and port. */
export type HandoffMessage = [bytes: Uint8Array, listener: number, address: string, port: number];
