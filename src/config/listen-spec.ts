/**
 * Listen specs (`udp:HOST:PORT`, `tcp:[::1]:5060`) and `HOST[:PORT]` addresses (advertise), as
 * written on the command line and in the config, parsed once here. Kamailio's `listen=` syntax, IP
 * literals only: a listener binds an address, it does not resolve one.
 */
import { isIP } from 'node:net';
import type { HepCollectorSpec, HostPort, ListenSpec } from '../shared/addresses.js';
import { err, ok, type Result } from '../shared/result.js';
import { TRANSPORTS, type Transport } from '../shared/events.js';

/** Kamailio's defaults for udp/tcp/tls; the deployment guide's for WebSocket (5066) and WSS (7443). */
const DEFAULT_LISTEN_PORT: Record<Transport, number> = { udp: 5060, tcp: 5060, tls: 5061, ws: 5066, wss: 7443 };
const DEFAULT_HEP_PORT = 9060;

const HOSTNAME = /^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const DIGITS = /^\d{1,5}$/;

/** `PROTO:HOST[:PORT]` with PROTO udp, tcp, tls, ws or wss; IPv6 in brackets; default ports as Kamailio's. */
export function parseListenSpec(text: string): Result<ListenSpec, string> {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const proto = trimmed.slice(0, colon).toLowerCase() as Transport;
  if (colon < 0 || !TRANSPORTS.includes(proto)) {
    return err(`listen "${text}": expected PROTO:HOST:PORT with PROTO one of ${TRANSPORTS.join(', ')}`);
  }
  const hostPort = parseHostPort(trimmed.slice(colon + 1));
  if (!hostPort.ok) return err(`listen "${text}": ${hostPort.error}`);
  const { host, port } = hostPort.value;
  const family = isIP(host) as 0 | 4 | 6;
  if (family === 0) return err(`listen "${text}": the host must be an IPv4 or IPv6 address, not a name`);
  return ok({ transport: proto, host, port: port ?? DEFAULT_LISTEN_PORT[proto], family });
}

/** `udp:HOST[:PORT]` or `tcp:HOST[:PORT]` for a HEP collector; a host name is allowed, the port defaults to 9060 (Homer's). */
export function parseCollector(text: string): Result<HepCollectorSpec, string> {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const proto = trimmed.slice(0, colon).toLowerCase();
  if (colon < 0 || (proto !== 'udp' && proto !== 'tcp')) return err(`collector "${text}": expected udp:HOST:PORT or tcp:HOST:PORT`);
  const hostPort = parseHostPort(trimmed.slice(colon + 1));
  if (!hostPort.ok) return err(`collector "${text}": ${hostPort.error}`);
  return ok({ transport: proto, host: hostPort.value.host, port: hostPort.value.port ?? DEFAULT_HEP_PORT });
}

/** `HOST[:PORT]` where HOST is an IPv4 address, a bracketed IPv6 address or a host name. */
export function parseHostPort(text: string): Result<HostPort, string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) return parseBracketed(trimmed);
  const parts = trimmed.split(':');
  if (parts.length > 2) return err(`"${text}": an IPv6 address must be written in brackets, e.g. [::1]:5060`);
  const host = parts[0] ?? '';
  if (!isHost(host)) return err(`"${text}": "${host}" is not an IP address or a host name`);
  return withPort(host, parts[1], text);
}

function parseBracketed(text: string): Result<HostPort, string> {
  const close = text.indexOf(']');
  const host = text.slice(1, close);
  if (close < 0 || isIP(host) !== 6) return err(`"${text}": "${text.slice(0, close + 1)}" is not a bracketed IPv6 address`);
  const rest = text.slice(close + 1);
  if (rest !== '' && !rest.startsWith(':')) return err(`"${text}": expected ":PORT" after "]"`);
  return withPort(host, rest === '' ? undefined : rest.slice(1), text);
}

function withPort(host: string, portText: string | undefined, text: string): Result<HostPort, string> {
  if (portText === undefined) return ok({ host, port: undefined });
  const port = DIGITS.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) return err(`"${text}": the port must be a number from 0 to 65535`);
  return ok({ host, port });
}

function isHost(host: string): boolean {
  if (isIP(host) === 4) return true;
  // all-numeric text that is not a valid IPv4 address (999.1.1.1) is a typo, not a name
  return HOSTNAME.test(host) && !/^[\d.]+$/.test(host);
}
