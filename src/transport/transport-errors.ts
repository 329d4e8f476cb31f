/** The errors the transports produce: a listener that cannot open, a message that cannot leave. */
import { SipDispatchError } from '../shared/errors.js';
import type { Transport } from '../shared/events.js';
import type { ListenSpec } from '../shared/addresses.js';
import { formatListenSpec } from './listen-spec.js';

const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'address not available on this machine',
};

/** LISTEN_FAILED naming the address, e.g. "cannot listen on udp:127.0.0.1:5060: address already in use". */
export function listenFailed(spec: ListenSpec, cause: unknown): SipDispatchError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why = (errno && REASONS[errno]) ?? (cause instanceof Error ? cause.message : String(cause));
  const address = formatListenSpec(spec);
  return new SipDispatchError('LISTEN_FAILED', `cannot listen on ${address}: ${why}`, { address, errno }, { cause });
}

/** SEND_FAILED naming the destination; the socket error is the cause. */
export function sendFailed(target: { transport: Transport; host: string; port: number }, cause: Error): SipDispatchError {
  const to = formatListenSpec(target);
  const errno = (cause as NodeJS.ErrnoException).code;
  return new SipDispatchError('SEND_FAILED', `cannot send to ${to}: ${cause.message}`, { target: to, errno }, { cause });
}
