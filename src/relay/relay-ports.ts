/**
 * What the relay needs from the world, as small interfaces stack/ satisfies: the dispatcher's
 * selection and bookkeeping, a way to send bytes statelessly, name resolution and the response
 * target rule of the transport. The relay itself does no I/O.
 */
import type { TrafficFailureCause, Transport } from '../shared/events.js';
import type { Via } from '../sip/message.js';
import type { SelectionKey } from '../dispatcher/select.js';
import type { Target } from '../shared/addresses.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import type { Flow } from './flow-token.js';

/** Where a message came from (the transport's MessageSource satisfies it). */
export interface Source {
  transport: Transport;
  address: string;
  port: number;
  connectionId?: string;
  /** TLS: the subject CN of the client's verified certificate (tls.client_groups). */
  certSubject?: string;
}

/** One destination the dispatcher offered, in failover order. */
export interface Candidate {
  setId: number;
  uri: string;
  /** Host, port and transport of the destination URI (host may be a name). */
  host: string;
  port: number;
  transport: Transport;
  duid: string | undefined;
  /** Send on this connection only (a flow token picked it). */
  connectionId?: string;
  /** The flow that connection is (its Record-Route entry carries the token again). */
  flow?: Flow;
}

export interface RelayDispatcher {
  /** Ordered candidates (first = pick); for INVITE with call-load dispatching the load is counted. */
  select(setId: number, algorithm: number, key: SelectionKey, limit: number): Candidate[];
  /** A transaction to `c` got a final answer that shows it alive: its consecutive-failure count clears. */
  trafficSuccess(c: Candidate): void;
  /**
   * A transaction to `c` timed out, failed to send, or got 503 without Retry-After. `ownPressure`:
   * sipdispatch itself was under pressure while it waited (a timeout is then not counted).
   */
  trafficFailure(c: Candidate, cause: TrafficFailureCause, ownPressure: boolean): void;
  /** Kamailio's ds_is_from_list: does this address belong to a destination of any set? */
  /** Any destination at this address, whatever its port: the farm, exempt from edge bans. */
  isDestinationHost(address: string): boolean;
  isFromDestination(address: string, port: number, transport: Transport): boolean;
  /** Call load: the call moved to another destination on failover. */
  callMoved(callId: string, c: Candidate): void;
  /** Call load: INVITE answered 2xx. */
  callConfirmed(callId: string): void;
  /** Call load: BYE, CANCEL or a failed INVITE. */
  callEnded(callId: string): void;
}

/** The part of the transaction layer the relay drives (the prober takes `createClient` alone). */
/** Told of the farm's final answers that speak of authentication (edge security's auth-failure bans). */
export interface AuthAnswers {
  /** A 401, 403 or 407 from the farm relayed to `source`; `hadCredentials`: the request carried Authorization or Proxy-Authorization. */
  answered(source: Source, status: number, hadCredentials: boolean): void;
}

/** Source address groups (edge security's permissions table), read per request. */
export interface SourceGroups {
  has(group: string, address: string): boolean;
}

export type RelayTransactions = Pick<TransactionLayer, 'receiveRequest' | 'receiveResponse' | 'createClient' | 'hasServerFor'>;

export interface RelayIo {
  /** Stateless send (ACK for 2xx, stray 2xx retransmissions). */
  send(bytes: Buffer, target: Target): void;
  /** RFC 3261 §18.2.2 / RFC 3581: where a response with this top Via goes. */
  responseTarget(via: Via, source: Source | undefined): Target;
  /** A host name to an address; IP literals come back as they are, synchronously. */
  resolve(host: string): string | Promise<string>;
  /** Is this connection (a flow) still open? */
  connectionOpen(transport: Transport, connectionId: string): boolean;
  /**
   * The UDP socket of this thread's own that requests to the farm at `address` leave from, so
   * their answers come back to the thread that sent them (threads share the listeners); none
   * with one thread.
   */
  farmSocket?(address: string): LocalSocket | undefined;
}

export interface LocalSocket {
  readonly port: number;
  readonly connectionId: string;
}
