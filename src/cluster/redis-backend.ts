/**
 * The cluster engine on Redis (>= 7; Valkey too) through ioredis. Fail fast: no offline queue, a
 * short command timeout, no command retried after a reconnect, and reconnection attempts capped
 * at one a second, so a missing Redis costs a rejected promise, never a wait. Pub/sub runs on a
 * second connection (a subscribed connection cannot send other commands). Each write is one Lua
 * script, so ordering, storing and publishing are one round trip and one atomic step; scripts
 * use Redis's own TIME, never the instances' clocks. One Redis address, not Sentinel discovery nor Redis Cluster
 * (the heartbeat reads member keys it does not declare).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { ClusterBackend, ClusterListeners, LoadRecord, MemberInfo, StateRecord, VersionedState } from './cluster-port.js';

export interface RedisBackendOptions {
  /** redis://[user:password@]host:port[/db] */
  readonly url: string;
  /** Prefix of every key and of the channel, so several clusters can share one Redis. */
  readonly keyPrefix: string;
  /** Most ms a command may take before it fails (and the instance goes to local mode). */
  readonly commandTimeoutMs: number;
  /** Most ms between reconnection attempts. */
  readonly maxRetryDelayMs: number;
}

const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local infos = {}
for i, id in ipairs(ids) do infos[i] = redis.call('GET', ARGV[4] .. id) or '' end
return {infos, tonumber(redis.call('GET', KEYS[3]) or '0')}
`;

const LIVE_MEMBERS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf')
`;

const LEASE = `
local holder = redis.call('GET', KEYS[1])
if not holder or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return ARGV[1]
end
return holder
`;

const PUBLISH_STATE = `
local v = redis.call('INCR', KEYS[1])
local rec = v .. ' ' .. ARGV[2]
redis.call('HSET', KEYS[2], ARGV[1], rec)
redis.call('PUBLISH', KEYS[3], 'S' .. rec)
return v
`;

const PUBLISH_LOAD = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PUBLISH', KEYS[2], 'L' .. ARGV[1])
return 1
`;

const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
if redis.call('GET', KEYS[4]) == ARGV[1] then redis.call('DEL', KEYS[4]) end
return 1
`;

interface Scripts {
  sdHeartbeat(members: string, self: string, version: string, id: string, info: string, ttl: number, memberPrefix: string): Promise<[string[], number]>;
  sdLease(key: string, id: string, ttl: number): Promise<string>;
  sdPublishState(version: string, states: string, channel: string, field: string, payload: string): Promise<number>;
  sdPublishLoad(key: string, channel: string, payload: string, ttl: number): Promise<number>;
  sdLeave(members: string, member: string, load: string, leader: string, id: string): Promise<number>;
  sdLiveMembers(members: string, ttl: number): Promise<string[]>;
}

/** `<version> <json>` as stored in the state hash and published after an `S`. */
function parseStored(text: string): VersionedState | undefined {
  const space = text.indexOf(' ');
  const version = Number(text.slice(0, space));
  if (space <= 0 || !Number.isSafeInteger(version)) return undefined;
  try {
    return { ...(JSON.parse(text.slice(space + 1)) as StateRecord), version };
  } catch {
    return undefined;
  }
}

function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

export class RedisBackend implements ClusterBackend {
  private readonly redis: Redis;
  private readonly sub: Redis;
  private readonly scripts: Scripts;
  private readonly keys: { members: string; member: string; version: string; states: string; channel: string; load: string; leader: string };
  private listeners: ClusterListeners | undefined;
  private up = false;

  constructor(options: RedisBackendOptions) {
    const p = options.keyPrefix;
    this.keys = { members: `${p}members`, member: `${p}member:`, version: `${p}version`, states: `${p}states`, channel: `${p}events`, load: `${p}load:`, leader: `${p}leader` };
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(options.commandTimeoutMs, 1000),
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(times * 100, options.maxRetryDelayMs),
      // no noisy stack traces for expected timeouts; the node logs what matters
      showFriendlyErrorStack: false,
    };
    this.redis = new Redis(options.url, common);
    // the subscriber blocks on its subscription: no command timeout there
    this.sub = new Redis(options.url, { ...common, commandTimeout: undefined, autoResubscribe: true });
    this.redis.defineCommand('sdHeartbeat', { numberOfKeys: 3, lua: HEARTBEAT });
    this.redis.defineCommand('sdLease', { numberOfKeys: 1, lua: LEASE });
    this.redis.defineCommand('sdPublishState', { numberOfKeys: 3, lua: PUBLISH_STATE });
    this.redis.defineCommand('sdPublishLoad', { numberOfKeys: 2, lua: PUBLISH_LOAD });
    this.redis.defineCommand('sdLeave', { numberOfKeys: 4, lua: LEAVE });
    this.redis.defineCommand('sdLiveMembers', { numberOfKeys: 1, lua: LIVE_MEMBERS });
    this.scripts = this.redis as unknown as Scripts;
  }

  get connected(): boolean {
    return this.up;
  }

  start(listeners: ClusterListeners): void {
    this.listeners = listeners;
    // errors surface as rejected commands and status changes; an 'error' listener keeps them from being thrown
    this.redis.on('error', () => undefined);
    this.sub.on('error', () => undefined);
    this.redis.on('ready', () => this.setUp(true));
    for (const event of ['close', 'end', 'reconnecting'] as const) this.redis.on(event, () => this.setUp(false));
    this.sub.on('message', (_channel: string, text: string) => this.deliver(text));
    this.sub.once('ready', () => void this.sub.subscribe(this.keys.channel).catch(() => undefined));
    this.redis.connect().catch(() => undefined);
    this.sub.connect().catch(() => undefined);
  }

  async heartbeat(self: MemberInfo, ttlMs: number): Promise<{ members: MemberInfo[]; version: number }> {
    const k = this.keys;
    const [infos, version] = await this.scripts.sdHeartbeat(k.members, k.member + self.id, k.version, self.id, JSON.stringify(self), ttlMs, k.member);
    const members = infos.map((t) => parseJson<MemberInfo>(t)).filter((m): m is MemberInfo => m !== undefined && typeof m.id === 'string');
    return { members, version: Number(version) };
  }

  lease(id: string, ttlMs: number): Promise<string> {
    return this.scripts.sdLease(this.keys.leader, id, ttlMs);
  }

  async publishState(record: StateRecord): Promise<number> {
    return Number(await this.scripts.sdPublishState(this.keys.version, this.keys.states, this.keys.channel, record.key, JSON.stringify(record)));
  }

  async readStates(): Promise<VersionedState[]> {
    const all = await this.redis.hgetall(this.keys.states);
    const out: VersionedState[] = [];
    for (const text of Object.values(all)) {
      const r = parseStored(text);
      if (r) out.push(r);
    }
    return out;
  }

  async publishLoad(record: LoadRecord, ttlMs: number): Promise<void> {
    await this.scripts.sdPublishLoad(this.keys.load + record.origin, this.keys.channel, JSON.stringify(record), ttlMs);
  }

  liveMembers(ttlMs: number): Promise<string[]> {
    return this.scripts.sdLiveMembers(this.keys.members, ttlMs);
  }

  async leave(id: string): Promise<void> {
    const k = this.keys;
    await this.scripts.sdLeave(k.members, k.member + id, k.load + id, k.leader, id);
  }

  async close(): Promise<void> {
    this.listeners = undefined;
    this.redis.disconnect();
    this.sub.disconnect();
  }

  private setUp(up: boolean): void {
    if (up === this.up) return;
    this.up = up;
    this.listeners?.status(up);
  }

  private deliver(text: string): void {
    const listeners = this.listeners;
    if (!listeners) return;
    if (text.startsWith('S')) {
      const record = parseStored(text.slice(1));
      if (record) listeners.message({ kind: 'state', record });
    } else if (text.startsWith('L')) {
      const record = parseJson<LoadRecord>(text.slice(1));
      if (record && typeof record.origin === 'string' && record.loads) listeners.message({ kind: 'load', record });
    }
  }
}
