/** Command-line parsing: subcommand, flags as config overrides, and the usage text. */
import { parseArgs } from 'node:util';
import { SipDispatchError } from '../shared/errors.js';
import type { Overrides } from '../config/load-config.js';

export const USAGE = `Usage:
  sipdispatch [--config FILE] [--list FILE] [--listen PROTO:HOST:PORT]... [--advertise HOST[:PORT]]
              [--http HOST:PORT] [--log-level LEVEL] [--workers N|auto] [--check]
  sipdispatch rpc METHOD [PARAMS...] [--http HOST:PORT] [--token TOKEN]
  sipdispatch demo

Options:
  --config FILE        YAML or JSON config file (env SIPDISPATCH_CONFIG)
  --list FILE          Kamailio dispatcher.list (default ./dispatcher.list; env SIPDISPATCH_LIST)
  --listen SPEC        udp:HOST:PORT or tcp:HOST:PORT, repeatable (env SIPDISPATCH_LISTEN, comma separated)
  --advertise HOST[:PORT]  address put in Via and Record-Route (env SIPDISPATCH_ADVERTISE)
  --http HOST:PORT     admin API address (default 127.0.0.1:9060; env SIPDISPATCH_HTTP)
  --log-level LEVEL    fatal, error, warn, info, debug, trace or silent (env SIPDISPATCH_LOG_LEVEL)
  --workers N|auto     threads reading the same UDP sockets, 1-64, auto: one per core up to 8 (Linux; else 1)
  --check              validate config and list, print errors with file:line, exit 0 or 1
  -h, --help           this text
  -v, --version        the version`;

export type CliCommand =
  | { kind: 'run'; flags: Overrides; check: boolean }
  | { kind: 'rpc'; method: string; params: string[]; http: string | undefined; token: string | undefined }
  | { kind: 'demo'; flags: Overrides }
  | { kind: 'help' }
  | { kind: 'version' };

const options = {
  config: { type: 'string' },
  list: { type: 'string' },
  listen: { type: 'string', multiple: true },
  advertise: { type: 'string' },
  http: { type: 'string' },
  'log-level': { type: 'string' },
  workers: { type: 'string' },
  token: { type: 'string' },
  check: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Parses argv (without node and script); throws CLI_BAD_FLAG with a one-line reason. */
export function parseCli(argv: string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new SipDispatchError('CLI_BAD_FLAG', (e as Error).message.split('\n')[0]!, { argv });
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { kind: 'help' };
  if (v.version) return { kind: 'version' };
  const flags: Overrides = {
    config: v.config,
    list: v.list,
    listen: v.listen,
    advertise: v.advertise,
    http: v.http,
    log_level: v['log-level'],
    // a number for the schema; a non-numeric value fails its integer check, naming the key
    workers: v.workers === undefined || v.workers === 'auto' ? v.workers : Number(v.workers),
  };
  for (const k of Object.keys(flags)) if (flags[k] === undefined) delete flags[k];
  const [sub, ...rest] = positionals;
  if (sub === undefined) return { kind: 'run', flags, check: v.check === true };
  if (sub === 'rpc') {
    const [method, ...params] = rest;
    if (!method) throw new SipDispatchError('CLI_BAD_FLAG', 'rpc needs a METHOD, e.g. sipdispatch rpc dispatcher.list');
    return { kind: 'rpc', method, params, http: v.http, token: v.token };
  }
  if (sub === 'demo') return { kind: 'demo', flags };
  throw new SipDispatchError('CLI_BAD_FLAG', `unknown command "${sub}" (try --help)`);
}
