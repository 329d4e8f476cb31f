/** `udp:HOST:PORT`, `tcp:[::1]:5060` and `HOST[:PORT]` address specs, parsed once at the edge. */
import { isIP } from 'node:net';

export interface ListenSpec {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
  /** 4 or 6. */
  family: 4 | 6;
}

export interface HostPort {
  host: string;
  port: number | undefined;
}

/** Parses `HOST[:PORT]` or `[V6]:PORT`; the error is a reason phrase. */
export function parseHostPort(text: string): { ok: true; value: HostPort } | { ok: false; error: string } {
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { ok: false, error: `unclosed IPv6 reference in "${text}"` };
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return { ok: false, error: `garbage after "]" in "${text}"` };
    portText = rest === '' ? undefined : rest.slice(1);
    if (isIP(host) !== 6) return { ok: false, error: `"${host}" is not an IPv6 address` };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0 && text.indexOf(':') !== colon) return { ok: false, error: `IPv6 addresses need brackets: "[${text}]"` };
    host = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (host === '') return { ok: false, error: `missing host in "${text}"` };
  if (portText === undefined) return { ok: true, value: { host, port: undefined } };
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return { ok: false, error: `bad port "${portText}" in "${text}"` };
  return { ok: true, value: { host, port } };
}

/** Parses `udp:HOST:PORT` / `tcp:HOST:PORT`; the host must be an IP literal (a socket binds to it). */
export function parseListenSpec(text: string): { ok: true; value: ListenSpec } | { ok: false; error: string } {
  const m = /^(udp|tcp):(.+)$/i.exec(text.trim());
  if (!m) return { ok: false, error: `listen "${text}" must look like udp:HOST:PORT or tcp:HOST:PORT` };
  const hp = parseHostPort(m[2]!);
  if (!hp.ok) return { ok: false, error: `listen "${text}": ${hp.error}` };
  const family = isIP(hp.value.host);
  if (family === 0) return { ok: false, error: `listen "${text}": "${hp.value.host}" is not an IP address` };
  return {
    ok: true,
    value: {
      transport: m[1]!.toLowerCase() as 'udp' | 'tcp',
      host: hp.value.host,
      port: hp.value.port ?? 5060,
      family: family as 4 | 6,
    },
  };
}

/** Prints a spec back as the user would write it. */
export function formatListenSpec(s: ListenSpec): string {
  return `${s.transport}:${s.family === 6 ? `[${s.host}]` : s.host}:${s.port}`;
}
