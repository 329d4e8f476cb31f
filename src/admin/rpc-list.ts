/**
 * `dispatcher.list [short|full]` in the shape Kamailio 5.6.3 answers (ds_rpc_print_set,
 * dispatcher.c): RECORDS[] → {SET: {ID, TARGETS[] → {DEST: {…}}}}, keys in Kamailio's order,
 * null for empty strings. Which blocks appear (ecosystem.md §1.3):
 * - ATTRS: normal mode when the destination has attrs, always in full mode, never in short mode;
 * - LATENCY: when ds_ping_latency_stats is on, in every mode (AVG, STD, EST floats in ms; MAX,
 *   TIMEOUT ints);
 * - RUNTIME {DLGLOAD}: when call-load dispatching is on (ds_hash_size > 0);
 * - HOST, IPADDR, PORT, PROTOID, DNSTIME_*: full mode only.
 * Sets come sorted by ID (Kamailio prints its AVL tree post-order; a documented difference).
 */
import type { DestinationView, LazySetView } from '../dispatcher/dispatcher-view.js';
import { arrayPieces, indices, jsonArray, JsonPieces } from './json-stream.js';
import type { Destination } from '../dispatcher/snapshot.js';

/** The parsed URI of a destination (full mode prints its parts). */
export type DestinationTarget = Destination['target'];

export type ListMode = 'normal' | 'short' | 'full';

export interface ListBlocks {
  /** ds_ping_latency_stats. */
  latencyStats: boolean;
  /** Call-load dispatching (Kamailio's ds_hash_size > 0). */
  callLoad: boolean;
}

/** Kamailio reads the mode case-insensitively; any other value is the normal mode. */
export function listMode(param: unknown): ListMode {
  if (typeof param !== 'string') return 'normal';
  const p = param.toLowerCase();
  return p === 'short' || p === 'full' ? p : 'normal';
}

/** Kamailio's PROTOID numbers (ip_addr.h): 0 when the URI names no transport. */
const PROTO_IDS: Readonly<Record<string, number>> = { udp: 1, tcp: 2, tls: 3, sctp: 4, ws: 5, wss: 6 };

const nullIfEmpty = (s: string | undefined): string | null => (s === undefined || s === '' ? null : s);

/** Kamailio keeps the statistics as C floats and prints 6 decimals. */
const sixDecimals = (v: number): number => Math.round(v * 1e6) / 1e6;

function attrsBlock(d: DestinationView): Record<string, unknown> {
  const a = d.attrs;
  return {
    BODY: nullIfEmpty(a.body),
    DUID: nullIfEmpty(a.duid),
    MAXLOAD: a.maxload,
    WEIGHT: a.weight,
    RWEIGHT: d.rweight,
    SOCKET: nullIfEmpty(a.socket),
    SOCKNAME: nullIfEmpty(a.sockname),
    OBPROXY: nullIfEmpty(a.obproxy),
  };
}

/** HOST … DNSTIME_USEC. Names resolve when used, not at load, so a hostname has no IPADDR yet. */
function addressFields(target: DestinationTarget | undefined): Record<string, unknown> {
  const host = target?.host ?? '';
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  const isIp = /^[\d.]+$/.test(bare) || bare.includes(':');
  const transport = target?.params.get('transport');
  return {
    HOST: nullIfEmpty(host),
    IPADDR: isIp ? bare : null,
    PORT: target?.port ?? 0,
    PROTOID: (transport && PROTO_IDS[transport.toLowerCase()]) ?? 0,
    DNSTIME_SEC: 0,
    DNSTIME_USEC: 0,
  };
}

function destBlock(d: DestinationView, mode: ListMode, blocks: ListBlocks, targetOf: (d: DestinationView) => DestinationTarget | undefined): Record<string, unknown> {
  const dest: Record<string, unknown> = { URI: d.uri, FLAGS: d.state, PRIORITY: d.priority };
  if (mode === 'full') Object.assign(dest, addressFields(targetOf(d)));
  if (mode === 'full' || (mode === 'normal' && d.attrs.body !== '')) dest['ATTRS'] = attrsBlock(d);
  if (blocks.latencyStats) {
    const l = d.latency;
    dest['LATENCY'] = { AVG: sixDecimals(l.avg), STD: sixDecimals(l.std), EST: sixDecimals(l.est), MAX: Math.trunc(l.max), TIMEOUT: l.timeout };
  }
  if (blocks.callLoad) dest['RUNTIME'] = { DLGLOAD: d.callLoad };
  return dest;
}

/**
 * The `result` of dispatcher.list, in pieces (one destination each) so that a list of 50,000
 * streams; undefined when there is no set (fault No Destination Sets).
 */
export function dispatcherListPieces(sets: readonly LazySetView[], mode: ListMode, blocks: ListBlocks): JsonPieces | undefined {
  if (sets.length === 0) return undefined;
  const sorted = [...sets].sort((a, b) => a.id - b.id);
  return new JsonPieces(function* () {
    yield `{"NRSETS":${sorted.length},"RECORDS":`;
    yield* arrayPieces(sorted, function* (set) {
      yield `{"SET":{"ID":${set.id},"TARGETS":`;
      yield* jsonArray(indices(set.size), (i) => ({ DEST: destBlock(set.view(i), mode, blocks, () => set.destination(i)?.target) }));
      yield '}}';
    });
    yield '}';
  });
}
