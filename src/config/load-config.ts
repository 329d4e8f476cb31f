/**
 * Builds the one frozen, fully resolved config: file < environment < flags. Validated once here
 * with the JSON schema (ajv fills the defaults); errors name the file, the line and the key.
 */
import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap } from 'yaml';
import { SipDispatchError } from '../shared/errors.js';
import { NetworkSet } from '../shared/network-set.js';
import { parseHashTemplate } from '../shared/hash-template.js';
import { configSchema } from './config-schema.js';
import type { HepCollectorSpec, HostPort, ListenSpec } from '../shared/addresses.js';
import { parseCollector, parseHostPort, parseListenSpec } from './listen-spec.js';
import type { Config, RawConfig } from './config-types.js';

/** Values from the command line or the environment, already split into config keys. */
export type Overrides = Partial<Record<string, unknown>>;

const ENV_KEYS: Record<string, { key: string; list?: boolean }> = {
  SIPDISPATCH_CONFIG: { key: 'config' },
  SIPDISPATCH_LIST: { key: 'list' },
  SIPDISPATCH_LISTEN: { key: 'listen', list: true },
  SIPDISPATCH_ADVERTISE: { key: 'advertise' },
  SIPDISPATCH_HTTP: { key: 'http' },
  SIPDISPATCH_LOG_LEVEL: { key: 'log_level' },
  SIPDISPATCH_ADMIN_TOKEN: { key: 'admin_token' },
};

/** The config keys set by SIPDISPATCH_* environment variables. */
export function envOverrides(env: NodeJS.ProcessEnv): Overrides {
  const out: Overrides = {};
  for (const [name, { key, list }] of Object.entries(ENV_KEYS)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    out[key] = list ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(configSchema);

interface FileConfig {
  data: Record<string, unknown>;
  lineOf(path: string[]): number | undefined;
}

async function readConfigFile(file: string): Promise<FileConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new SipDispatchError('CONFIG_READ', `${file}: cannot read config file: ${(e as Error).message}`, { file });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new SipDispatchError('CONFIG_PARSE', `${file}:${line}: ${e.message.split('\n')[0]}`, { file, line });
  }
  const data: unknown = doc.contents === null ? {} : doc.toJS();
  if (!isMap(doc.contents) && doc.contents !== null) {
    throw new SipDispatchError('CONFIG_PARSE', `${file}:1: the config must be a mapping of keys to values`, { file, line: 1 });
  }
  return {
    data: data as Record<string, unknown>,
    lineOf(path) {
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      const keyPath = path.slice(0, -1);
      const at = node?.range?.[0] ?? (doc.getIn(keyPath, true) as { range?: [number] } | undefined)?.range?.[0];
      return at === undefined ? undefined : lineCounter.linePos(at).line;
    },
  };
}

function describe(e: ErrorObject): { path: string[]; text: string } {
  const path = e.instancePath.split('/').filter(Boolean);
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: [...path, extra], text: `${[...path, extra].join('.')}: unknown key` };
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.join(', ');
    return { path, text: `${path.join('.')}: must be one of ${allowed}` };
  }
  return { path, text: `${path.join('.') || '(top level)'}: ${e.message ?? 'is invalid'}` };
}

function invalid(file: string | undefined, where: FileConfig | undefined, path: string[], text: string, origin: string): SipDispatchError {
  const line = where?.lineOf(path);
  const prefix = origin === 'file' && file ? `${file}${line ? `:${line}` : ''}: ` : `${origin}: `;
  return new SipDispatchError('CONFIG_INVALID', `${prefix}${text}`, { file, line, key: path.join('.') });
}

/**
 * Resolves the config. `flags` win over `env`, which win over the file (`flags.config`, then
 * `env.config`, names the file; without one only defaults, env and flags count).
 */
export async function loadConfig(flags: Overrides, env: Overrides = {}): Promise<Config> {
  const file = (flags.config ?? env.config) as string | undefined;
  const fromFile = file ? await readConfigFile(file) : undefined;
  const merged: Record<string, unknown> = { ...(fromFile?.data ?? {}) };
  const origin = new Map<string, string>();
  for (const [layer, values] of [['environment', env], ['command line', flags]] as const) {
    for (const [k, v] of Object.entries(values)) {
      if (k === 'config' || v === undefined) continue;
      merged[k] = v;
      origin.set(k, layer);
    }
  }
  if (!validate(merged)) {
    const first = describe(validate.errors![0]!);
    throw invalid(file, fromFile, first.path, first.text, origin.get(first.path[0] ?? '') ?? 'file');
  }
  const raw = merged as unknown as RawConfig;
  const listen: ListenSpec[] = [];
  for (const [i, spec] of raw.listen.entries()) {
    const r = parseListenSpec(spec);
    if (!r.ok) throw invalid(file, fromFile, ['listen', String(i)], r.error, origin.get('listen') ?? 'file');
    listen.push(r.value);
  }
  const http = parseHostPort(raw.http);
  if (!http.ok || http.value.port === undefined) {
    throw invalid(file, fromFile, ['http'], `http "${raw.http}" must be HOST:PORT`, origin.get('http') ?? 'file');
  }
  let advertise: HostPort | undefined;
  if (raw.advertise !== undefined) {
    const a = parseHostPort(raw.advertise);
    if (!a.ok) throw invalid(file, fromFile, ['advertise'], a.error, origin.get('advertise') ?? 'file');
    advertise = a.value;
  }
  const trusted = NetworkSet.parse(raw.trusted);
  if (!trusted.ok) throw invalid(file, fromFile, ['trusted'], `trusted: ${trusted.error}`, origin.get('trusted') ?? 'file');
  let hepCollector: HepCollectorSpec | undefined;
  if (raw.hep.collector !== undefined) {
    const c = parseCollector(raw.hep.collector);
    if (!c.ok) throw invalid(file, fromFile, ['hep', 'collector'], c.error, 'file');
    hepCollector = c.value;
  }
  for (const [i, r] of raw.routes.entries()) {
    const re = r.match?.ruri_user;
    if (re !== undefined) {
      try {
        new RegExp(re);
      } catch (e) {
        throw invalid(file, fromFile, ['routes', String(i), 'match', 'ruri_user'], `bad regular expression: ${(e as Error).message}`, 'file');
      }
    }
    const hashProblem = routeHashProblem(r);
    if (hashProblem) throw invalid(file, fromFile, ['routes', String(i), ...hashProblem.path], hashProblem.text, 'file');
  }
  return deepFreeze({
    ...raw,
    configFile: file,
    listenSpecs: listen,
    httpAddress: { host: http.value.host, port: http.value.port },
    advertiseAddress: advertise,
    hepCollector,
  });
}

/** Freezes `o` and everything it holds (also used on a config copied to a worker thread). */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Algorithm 7 hashes the route's hash_value and nothing else reads it: both or neither. */
function routeHashProblem(r: RawConfig['routes'][number]): { path: string[]; text: string } | undefined {
  if (r.hash_value === undefined) {
    return r.algorithm === 7 ? { path: ['algorithm'], text: 'algorithm 7 hashes the route\'s hash_value: set one, e.g. hash_value: "$fU@$fd"' } : undefined;
  }
  if (r.algorithm !== 7) return { path: ['hash_value'], text: `hash_value is read by algorithm 7 only (this route uses ${r.algorithm})` };
  const parsed = parseHashTemplate(r.hash_value);
  return parsed.ok ? undefined : { path: ['hash_value'], text: `hash_value ${parsed.error}` };
}
