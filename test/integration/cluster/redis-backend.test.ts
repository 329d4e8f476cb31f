/**
 * The Redis engine against a real redis-server on loopback: membership with a TTL from Redis's
 * clock, the lease, versioned states stored and published on the subscriber connection, loads,
 * and failing fast (no offline queue, command timeout) while Redis hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterMessage, MemberInfo } from '../../../src/cluster/cluster-port.js';
import { RedisBackend } from '../../../src/cluster/redis-backend.js';
import { findRedisServer, startRedisServer, type RedisServer } from '../../support/redis-server.js';

const hasRedis = findRedisServer() !== undefined;
if (!hasRedis && process.env.CI === 'true') throw new Error('redis-server is required under CI=true: apt-get install redis-server');
if (!hasRedis) console.warn('[cluster] Redis tests SKIPPED: no redis-server (apt-get install redis-server)');
const info = (id: string): MemberInfo => ({ id, sip: ['udp:127.0.0.1:5060'], http: '127.0.0.1:9060', digest: 'd', startedAt: 0 });

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.runIf(hasRedis)('RedisBackend on a real redis-server', () => {
  let redis: RedisServer;
  const backends: RedisBackend[] = [];
  const received: ClusterMessage[][] = [];
  const status: boolean[][] = [];

  function backend(prefix = 'it:'): RedisBackend {
    const b = new RedisBackend({ url: redis.url, keyPrefix: prefix, commandTimeoutMs: 300, maxRetryDelayMs: 200 });
    const inbox: ClusterMessage[] = [];
    const states: boolean[] = [];
    received.push(inbox);
    status.push(states);
    b.start({ message: (m) => inbox.push(m), status: (up) => states.push(up) });
    backends.push(b);
    return b;
  }

  beforeAll(async () => {
    redis = await startRedisServer();
  });

  afterAll(async () => {
    for (const b of backends) await b.close();
    await redis?.stop();
  });

  it('lists live members and expires a silent one by its TTL', async () => {
    const a = backend();
    const b = backend();
    await until(() => a.connected && b.connected);
    await a.heartbeat(info('a'), 400);
    const { members } = await b.heartbeat(info('b'), 400);
    expect(members.map((m) => m.id).sort()).toEqual(['a', 'b']);
    await new Promise((r) => setTimeout(r, 500));
    const later = await b.heartbeat(info('b'), 400);
    expect(later.members.map((m) => m.id)).toEqual(['b']);
    await b.leave('b');
    expect((await a.heartbeat(info('a'), 400)).members.map((m) => m.id)).toEqual(['a']);
  });

  it('gives the lease to one holder until it expires', async () => {
    const a = backend('lease:');
    const b = backend('lease:');
    await until(() => a.connected && b.connected);
    expect(await a.lease('a', 300)).toBe('a');
    expect(await b.lease('b', 300)).toBe('a');
    expect(await a.lease('a', 300)).toBe('a');
    await new Promise((r) => setTimeout(r, 400));
    expect(await b.lease('b', 300)).toBe('b');
  });

  it('orders changes by one counter, stores the latest per key and publishes each to every subscriber', async () => {
    const a = backend('state:');
    const b = backend('state:');
    await until(() => a.connected && b.connected);
    // the subscriber connection subscribes once ready
    await new Promise((r) => setTimeout(r, 200));
    const inbox = received[received.length - 1]!;
    const state = { availability: 'disabled', probing: false, noPing: false, noDns: false } as const;
    const v1 = await a.publishState({ key: '1 sip:a', state, trigger: 'admin', origin: 'a', seq: 1, at: 1 });
    const v2 = await a.publishState({ key: '1 sip:a', state: { ...state, availability: 'active' }, trigger: 'admin', origin: 'a', seq: 2, at: 2 });
    expect(v2).toBe(v1 + 1);
    await until(() => inbox.filter((m) => m.kind === 'state').length >= 2);
    expect(inbox.filter((m) => m.kind === 'state').map((m) => (m.kind === 'state' ? m.record.version : 0))).toEqual([v1, v2]);
    const stored = await b.readStates();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ key: '1 sip:a', version: v2, state: { availability: 'active' } });
    expect((await b.heartbeat(info('b'), 1000)).version).toBe(v2);
  });

  it('publishes call loads', async () => {
    const a = backend('load:');
    const b = backend('load:');
    await until(() => a.connected && b.connected);
    await new Promise((r) => setTimeout(r, 200));
    const inbox = received[received.length - 1]!;
    await a.publishLoad({ origin: 'a', loads: { '1\u0000x': 3 }, at: 5 }, 1000);
    await until(() => inbox.some((m) => m.kind === 'load'));
    expect(inbox.find((m) => m.kind === 'load')).toEqual({ kind: 'load', record: { origin: 'a', loads: { '1\u0000x': 3 }, at: 5 } });
  });

  it('fails fast while Redis hangs and recovers when it comes back', async () => {
    const a = backend('stop:');
    await until(() => a.connected);
    redis.pause();
    try {
      // the command timeout rejects it: without one it would wait for Redis forever
      await expect(a.heartbeat(info('a'), 1000)).rejects.toThrow(/timed out/i);
      await expect(a.liveMembers(1000)).rejects.toThrow(/timed out/i);
    } finally {
      redis.resume();
    }
    expect((await a.heartbeat(info('a'), 1000)).members.map((m) => m.id)).toContain('a');
  });

  it('reports the connection lost when Redis dies, and back after a restart', async () => {
    const a = backend('restart:');
    const states = status[status.length - 1]!;
    await until(() => a.connected);
    await redis.kill();
    await until(() => !a.connected);
    await expect(a.heartbeat(info('a'), 1000)).rejects.toThrow();
    await redis.restart();
    await until(() => a.connected, 15_000);
    expect(states).toEqual([true, false, true]);
    expect((await a.heartbeat(info('a'), 1000)).version).toBe(0);
  });
});
