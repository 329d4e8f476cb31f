/**
 * The bounded label values of the metrics: every value is known in advance, so each series can be
 * initialised to 0 and no label ever carries something a caller controls (methods outside the
 * fixed list collapse into `other`).
 */
import type { DropReason, FailoverReason, Transport } from '../shared/events.js';

/** The methods counted by name; anything else is `other`. */
export const SIP_METHODS = [
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'SUBSCRIBE',
  'NOTIFY', 'REFER', 'INFO', 'UPDATE', 'PRACK', 'MESSAGE', 'PUBLISH',
] as const;

export const OTHER_METHOD = 'other';

export const METHOD_LABELS: readonly string[] = [...SIP_METHODS, OTHER_METHOD];

const knownMethods: ReadonlySet<string> = new Set(SIP_METHODS);

/** SIP methods are case-sensitive tokens (RFC 3261 §7.1): `invite` is not INVITE. */
export function methodLabel(method: string): string {
  return knownMethods.has(method) ? method : OTHER_METHOD;
}

export const RESPONSE_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', '6xx'] as const;

/** `1xx` … `6xx`, or undefined for a status outside 100-699. */
export function responseClass(status: number): string | undefined {
  return RESPONSE_CLASSES[Math.floor(status / 100) - 1];
}

// Records keyed by the union types: the compiler rejects a list that misses a member.
const failoverReasons: Record<FailoverReason, true> = {
  timeout: true,
  'transport-error': true,
  'response-5xx': true,
  'response-other': true,
};
const dropReasons: Record<DropReason, true> = {
  malformed: true,
  'too-large': true,
  'no-transaction': true,
  loop: true,
  unroutable: true,
  'shutting-down': true,
  overload: true,
  banned: true,
  pike: true,
  scanner: true,
  limit: true,
  acl: true,
};
const transports: Record<Transport, true> = { udp: true, tcp: true, tls: true, ws: true, wss: true };

export const FAILOVER_REASONS = Object.keys(failoverReasons) as readonly FailoverReason[];
export const DROP_REASONS = Object.keys(dropReasons) as readonly DropReason[];
export const TRANSPORTS = Object.keys(transports) as readonly Transport[];
export const RELOAD_RESULTS = ['success', 'failure'] as const;
