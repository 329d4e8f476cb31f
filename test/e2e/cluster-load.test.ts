/**
 * Shared call load for algorithm 10 across two real sipdispatch processes and a private
 * redis-server: while SIPp holds calls placed through both, each instance's DLGLOAD of every
 * destination is the true number of calls up on that farm node (counted by the node itself).
 * The two run `probing: leader`: one of them probes the whole farm.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SipRequest } from '../../src/sip/message.js';
import { findRedisServer, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { responseTo, SipPeer } from '../support/sip-peer.js';
import { startSipdispatch, waitFor, type SipdispatchProcess } from '../support/sipdispatch-process.js';
import { findSipp, runSippUac, sippScenario } from '../support/sipp.js';

const ready = findRedisServer() !== undefined && findSipp() !== undefined;
if (!ready && process.env.CI === 'true') throw new Error('redis-server and SIPp are required under CI=true: apt-get install redis-server sip-tester');

interface FarmNode {
  peer: SipPeer;
  uri: string;
  /** Call-IDs answered and not yet ended by BYE. */
  up: Set<string>;
  /** Source ports of the OPTIONS received (one per sipdispatch instance). */
  options: number[];
}

async function farmNode(): Promise<FarmNode> {
  const peer = await SipPeer.udp();
  const node: FarmNode = { peer, uri: `sip:127.0.0.1:${peer.port}`, up: new Set(), options: [] };
  peer.onRequest((req: SipRequest, from) => {
    if (req.method === 'ACK') return;
    if (req.method === 'OPTIONS') node.options.push(from.port);
    if (req.method === 'INVITE') node.up.add(req.callId);
    if (req.method === 'BYE') node.up.delete(req.callId);
    const extra = req.method === 'INVITE' ? { toTag: `farm-${peer.port}`, contact: `<sip:farm@127.0.0.1:${peer.port}>` } : {};
    void peer.send(responseTo(req, 200, 'OK', extra), from.port, from.address);
  });
  return node;
}

async function loads(p: SipdispatchProcess): Promise<Map<string, number>> {
  const body = (await (await fetch(`http://127.0.0.1:${p.httpPort}/dispatcher`)).json()) as { sets: Array<{ destinations: Array<{ uri: string; callLoad: number }> }> };
  return new Map(body.sets.flatMap((s) => s.destinations.map((d) => [d.uri, d.callLoad] as const)));
}

describe.runIf(ready)('cluster e2e: algorithm 10 counts the calls of every instance', () => {
  let redis: RedisServer;
  const farm: FarmNode[] = [];
  const instances: SipdispatchProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-cluster-load-'));

  beforeAll(async () => {
    redis = await startRedisServer();
    for (let i = 0; i < 2; i++) farm.push(await farmNode());
    const list = farm.map((f, i) => `1 ${f.uri} 0 0 duid=f${i + 1}`).join('\n');
    for (let i = 0; i < 2; i++) {
      const config = ['ds_ping_interval: 1', 'drain_timeout: 1000', 'overload_shedding: false', 'routes:', '  - { set: 1, algorithm: 10 }', 'cluster:', `  redis: ${redis.url}`, `  node_id: load${i + 1}`, '  key_prefix: "load:"', '  probing: leader'].join('\n');
      // two hosts: each instance on its own loopback address
      instances.push(await startSipdispatch({ list, config, transports: ['udp'], host: `127.0.0.${21 + i}` }));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(instances.map((p) => p.stop()));
    await redis?.stop();
    await Promise.all(farm.map((f) => f.peer.close()));
  }, 60_000);

  it('leader probing: one instance probes every destination', async () => {
    await waitFor(async () => (await Promise.all(instances.map((p) => p.rpc('cluster.list_nodes')))).every((r) => (r.result as { NODES: unknown[] }).NODES.length === 2), undefined, 20_000, () => 'two members');
    // a round or two under the lease (1 s interval), then count afresh
    await new Promise((r) => setTimeout(r, 2_500));
    for (const f of farm) f.options = [];
    await waitFor(() => farm.every((f) => f.options.length >= 3), undefined, 20_000, () => 'OPTIONS to every farm node');
    const senders = new Set(farm.flatMap((f) => f.options));
    expect(senders.size).toBe(1);
    expect(instances.map((p) => p.sipPort)).toContain([...senders][0]);
    const leaders = await Promise.all(instances.map(async (p) => ((await p.rpc('cluster.list_nodes')).result as { LEADER?: string }).LEADER));
    expect(new Set(leaders).size).toBe(1);
    expect(leaders[0]).toMatch(/^load[12]$/);
  }, 60_000);

  it('each instance sees the true number of calls up on each destination while they are held', async () => {
    const perInstance = 40;
    const held = Promise.all(instances.map((p) => runSippUac({ target: `${p.sipHost}:${p.sipPort}`, scenario: sippScenario('uac'), calls: perInstance, rate: 40, holdMs: 8_000, limit: 100, timeoutSec: 40, cwd: dir })));
    let seen: Array<Map<string, number>> = [];
    // while every call is up (none ended yet), every instance's view must equal the farm's count
    await waitFor(async () => {
      const total = farm.reduce((n, f) => n + f.up.size, 0);
      if (total !== 2 * perInstance) return false;
      seen = await Promise.all(instances.map(loads));
      return seen.every((view) => farm.every((f) => view.get(f.uri) === f.up.size));
    }, undefined, 30_000, () => `views ${JSON.stringify(seen.map((m) => [...m]))}, farm ${JSON.stringify(farm.map((f) => f.up.size))}`);
    // the load is spread (algorithm 10 picks the least loaded) and counted once per call
    expect(farm.every((f) => f.up.size > 0)).toBe(true);
    const results = await held;
    expect(results.map((r) => r.failed)).toEqual([0, 0]);
    await waitFor(async () => (await Promise.all(instances.map(loads))).every((view) => [...view.values()].every((n) => n === 0)), undefined, 20_000, () => 'loads back to 0');
  }, 90_000);
});
