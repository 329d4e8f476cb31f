/**
 * The container HEALTHCHECK: `node dist/cli/healthcheck.js [URL]` exits 0 when the admin API's
 * `GET /health` answers 200 and 1 otherwise. Node itself runs it, so the image needs no curl or
 * shell. Without a URL it follows SIPDISPATCH_HTTP (the admin address the program listens on).
 */
import { pathToFileURL } from 'node:url';
import { parseHostPort } from '../config/listen-spec.js';

export const DEFAULT_HEALTH_URL = 'http://127.0.0.1:9060/health';
const HEALTH_TIMEOUT_MS = 3000;

/** Wildcard binds are reached through loopback of the same family. */
const LOOPBACK_FOR: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '::': '::1' };

/** The /health URL for an admin address `HOST:PORT` (as in --http / SIPDISPATCH_HTTP). */
export function healthUrlFor(address: string | undefined): string {
  if (address === undefined || address === '') return DEFAULT_HEALTH_URL;
  const parsed = parseHostPort(address);
  if (!parsed.ok || parsed.value.port === undefined) return DEFAULT_HEALTH_URL;
  const host = LOOPBACK_FOR[parsed.value.host] ?? parsed.value.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${parsed.value.port}/health`;
}

/** `null` when healthy, else one line saying why. */
export async function checkHealth(url: string, signal: AbortSignal = AbortSignal.timeout(HEALTH_TIMEOUT_MS)): Promise<string | null> {
  try {
    const res = await fetch(url, { signal, redirect: 'manual' });
    await res.body?.cancel();
    return res.status === 200 ? null : `${url} answered HTTP ${res.status}`;
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return `${url} unreachable: ${cause ?? (e as Error).message}`;
  }
}

/** The exit status for `healthcheck [URL]`; the reason for a failure goes to `report`. */
export async function runHealthcheck(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  report: (line: string) => void = (line) => console.error(line),
  signal?: AbortSignal,
): Promise<0 | 1> {
  const url = args[0] ?? healthUrlFor(env['SIPDISPATCH_HTTP']);
  const problem = await checkHealth(url, signal);
  if (problem === null) return 0;
  report(`unhealthy: ${problem}`);
  return 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runHealthcheck(process.argv.slice(2), process.env);
}
