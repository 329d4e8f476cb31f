/**
 * Adapts the dispatcher core to the relay's port: destinations become candidates (cached per
 * destination object, so a selection allocates only its result array), and ds_is_from_list is a
 * map lookup rebuilt whenever a reload swaps the snapshot.
 */
import { isIP } from 'node:net';
import type { Dispatcher } from '../dispatcher/dispatcher.js';
import type { Destination, Snapshot } from '../dispatcher/snapshot.js';
import type { TrafficFailureCause, Transport } from '../shared/events.js';
import type { SelectionKey, SelectOptions } from '../dispatcher/select.js';
import type { Candidate, RelayDispatcher } from '../relay/relay-ports.js';
import { nextHopOf } from '../relay/next-hop.js';

export type DispatcherAdapterOptions = Pick<SelectOptions, 'useDefault' | 'hashFailover'>;

/** The ports of an address's destinations: one (most addresses), or several; ANY_PORT matches any. */
type Ports = number | number[];
/** A destination whose URI gives no port: any port of its address matches (Kamailio's mode 2). */
const ANY_PORT = -1;

/** Adds `port` to an address's ports. */
function withPort(ports: Ports | undefined, port: number): Ports {
  if (ports === undefined || ports === port) return port;
  if (typeof ports === 'number') return [ports, port];
  if (!ports.includes(port)) ports.push(port);
  return ports;
}

const hasPort = (ports: Ports, port: number): boolean =>
  typeof ports === 'number' ? ports === port || ports === ANY_PORT : ports.includes(port) || ports.includes(ANY_PORT);

export class DispatcherAdapter implements RelayDispatcher {
  private readonly candidates = new WeakMap<Destination, Candidate>();
  private readonly destinations = new WeakMap<Candidate, Destination>();
  private indexed: Snapshot | undefined;
  /**
   * Destinations' ports by IP address: one map entry an address, no key string built per
   * destination or per lookup (two sets of "ip" and "ip:port" strings cost 100 bytes a destination).
   */
  private addresses = new Map<string, Ports>();
  /** An index built ahead of a swap (indexSteps). */
  private prepared: { snapshot: Snapshot; addresses: Map<string, Ports> } | undefined;

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly options: DispatcherAdapterOptions,
  ) {}

  select(setId: number, algorithm: number, key: SelectionKey, limit: number): Candidate[] {
    const picked = this.dispatcher.select(setId, algorithm, key, { limit, useDefault: this.options.useDefault, hashFailover: this.options.hashFailover });
    // Sized once: an array grown by push from empty reserves 17 slots (152 B), and a forwarded
    // request keeps its candidates until its final answer (thousands pending toward a silent farm).
    const out = new Array<Candidate>(picked.length);
    let n = 0;
    for (const d of picked) {
      const c = this.candidateOf(d);
      if (c) out[n++] = c;
    }
    if (n < out.length) out.length = n;
    return out;
  }

  trafficSuccess(c: Candidate): void {
    const d = this.destinations.get(c);
    if (d) this.dispatcher.trafficSuccess(d);
  }

  trafficFailure(c: Candidate, cause: TrafficFailureCause, ownPressure: boolean): void {
    const d = this.destinations.get(c);
    if (d && this.dispatcher.trafficFailure(d, cause, ownPressure) === 'threshold') this.thresholdReached(d, cause);
  }

  /** The failure threshold is reached: here the dispatcher decides (a worker asks the main thread). */
  protected thresholdReached(d: Destination, cause: TrafficFailureCause): void {
    this.dispatcher.markByTraffic(d, cause);
  }

  isFromDestination(address: string, port: number, _transport: Transport): boolean {
    // Kamailio's default mode 2: address and port, any transport.
    const snapshot = this.dispatcher.snapshot;
    if (snapshot !== this.indexed) this.reindex(snapshot);
    const ports = this.addresses.get(address);
    return ports !== undefined && hasPort(ports, port);
  }

  /** Any destination at this address, whatever its port (edge security exempts the farm). */
  isDestinationHost(address: string): boolean {
    const snapshot = this.dispatcher.snapshot;
    if (snapshot !== this.indexed) this.reindex(snapshot);
    return this.addresses.has(address);
  }

  callMoved(callId: string, c: Candidate): void {
    const d = this.destinations.get(c);
    if (d) this.dispatcher.moveCall(callId, d);
  }

  callConfirmed(callId: string): void {
    this.dispatcher.confirmCall(callId);
  }

  callEnded(callId: string): void {
    this.dispatcher.releaseCall(callId);
  }

  private candidateOf(d: Destination): Candidate | undefined {
    let c = this.candidates.get(d);
    if (c) return c;
    const hop = nextHopOf(d.target);
    if (!hop) return undefined;
    c = { setId: d.setId, uri: d.uri, host: hop.host, port: hop.port, transport: hop.transport, duid: d.attrs.duid };
    this.candidates.set(d, c);
    this.destinations.set(c, d);
    return c;
  }

  /** Builds the address index of the list in force (at start, before the sockets open), not at the first request. */
  indexNow(): void {
    const snapshot = this.dispatcher.snapshot;
    if (snapshot !== this.indexed) this.reindex(snapshot);
  }

  private reindex(snapshot: Snapshot): void {
    const pending = this.prepared;
    this.prepared = undefined;
    if (pending?.snapshot !== snapshot) {
      // not prepared (first use, dispatcher.add/remove): built at once
      for (const _ of this.indexSteps(snapshot, Number.POSITIVE_INFINITY));
      return this.reindex(snapshot);
    }
    this.addresses = pending.addresses;
    this.indexed = snapshot;
  }

  /**
   * Builds the address index of a snapshot not yet in force, pausing every `slice` destinations:
   * a reload runs it before the swap, so the first request after it finds the index ready.
   */
  *indexSteps(snapshot: Snapshot, slice: number): Generator<void> {
    const addresses = new Map<string, Ports>();
    let done = 0;
    for (const set of snapshot.sets.values()) {
      for (const d of set.destinations) {
        if (++done % slice === 0) yield;
        const hop = nextHopOf(d.target);
        // Names are matched once resolved by the DNS cache; only literals are indexed here.
        if (!hop || isIP(hop.host) === 0) continue;
        addresses.set(hop.host, withPort(addresses.get(hop.host), d.target.port === undefined ? ANY_PORT : hop.port));
      }
    }
    this.prepared = { snapshot, addresses };
  }
}
