/**
 * Three real sipdispatch processes sharing state through a private redis-server on loopback, in
 * front of a farm of three UDP responders that count what reaches them (OPTIONS by sender, INVITEs);
 * SIPp places the calls. Behaviour only, no timing: one prober per destination, health and admin
 * state seen by every instance, an instance killed with SIGKILL, and Redis hanging then dying
 * under load without a failed call. Times are in bench/cluster/ and bench/RESULTS.md.
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
if (!ready) console.warn('[cluster e2e] SKIPPED: needs redis-server and sipp (apt-get install redis-server sip-tester)');
const STEP_MS = 60_000;

interface FarmNode {
  peer: SipPeer;
  uri: string;
  /** REGISTERs received: AoR user → the sipdispatch port it came through. */
  registers: Array<{ user: string; via: number }>;
  /** Source ports of the OPTIONS received since the last clear (one per sipdispatch instance). */
  options: number[];
  invites: number;
  silent: boolean;
}

async function farmNode(): Promise<FarmNode> {
  const peer = await SipPeer.udp();
  const node: FarmNode = { peer, uri: `sip:127.0.0.1:${peer.port}`, registers: [], options: [], invites: 0, silent: false };
  peer.onRequest((req: SipRequest, from) => {
    const reply = (status: number, reason: string, extra: { toTag?: string; contact?: string } = {}) => void peer.send(responseTo(req, status, reason, extra), from.port, from.address);
    switch (req.method) {
      case 'OPTIONS':
        node.options.push(from.port);
        if (!node.silent) reply(200, 'OK');
        return;
      case 'INVITE':
        node.invites++;
        reply(200, 'OK', { toTag: `farm-${peer.port}`, contact: `<sip:farm@127.0.0.1:${peer.port}>` });
        return;
      case 'ACK':
        return;
      case 'REGISTER':
        node.registers.push({ user: /sip:([^@]+)@/.exec(req.headers.find((h) => h.key === 'to')?.value ?? '')?.[1] ?? '', via: from.port });
        reply(200, 'OK');
        return;
      default:
        reply(200, 'OK');
    }
  });
  return node;
}

interface DestinationJson {
  uri: string;
  state: string;
  up: boolean;
}

async function states(p: SipdispatchProcess): Promise<Map<string, string>> {
  const body = (await (await fetch(`http://127.0.0.1:${p.httpPort}/dispatcher`)).json()) as { sets: Array<{ destinations: DestinationJson[] }> };
  return new Map(body.sets.flatMap((s) => s.destinations.map((d) => [d.uri, d.state] as const)));
}

async function health(p: SipdispatchProcess): Promise<{ cluster: { connected: boolean; members: number; probing: string } }> {
  return (await (await fetch(`http://127.0.0.1:${p.httpPort}/health`)).json()) as { cluster: { connected: boolean; members: number; probing: string } };
}

async function nodesSeen(p: SipdispatchProcess): Promise<number> {
  const r = await p.rpc('cluster.list_nodes');
  return (r.result as { NODES: unknown[] } | undefined)?.NODES.length ?? 0;
}

const AORS = 1000;

/** A REGISTER for user<n>@example.com from the client at `port`. */
function register(n: number, port: number, tag: string): string {
  return [
    'REGISTER sip:example.com SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${tag}-${n};rport`,
    'Max-Forwards: 70',
    `From: <sip:user${n}@example.com>;tag=${tag}-${n}`,
    `To: <sip:user${n}@example.com>`,
    `Call-ID: ${tag}-${n}@cluster-e2e`,
    'CSeq: 1 REGISTER',
    `Contact: <sip:user${n}@127.0.0.1:${port}>`,
    'Expires: 60',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const until = (cond: () => boolean | Promise<boolean>, what: string, ms = 20_000) => waitFor(cond, undefined, ms, () => what);
/** Lets the probers start a round or two under the current membership (1 s interval). */
const settle = () => new Promise((r) => setTimeout(r, 2_500));

describe.runIf(ready)('cluster e2e: three sipdispatch instances, one Redis, a farm of three', () => {
  let redis: RedisServer;
  const farm: FarmNode[] = [];
  const instances: SipdispatchProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-cluster-'));
  let killed: SipdispatchProcess | undefined;

  const calls = (p: SipdispatchProcess, n: number, rate: number) =>
    runSippUac({ target: `${p.sipHost}:${p.sipPort}`, scenario: sippScenario('uac'), calls: n, rate, timeoutSec: 40, cwd: dir, limit: 50 });

  /**
   * Registers AORS AoRs through every instance (algorithm 2, hash over the To URI); returns the
   * AoRs that landed on different farm nodes depending on the instance, and the nodes used.
   */
  async function registerThroughAll(through: SipdispatchProcess[], tag: string): Promise<{ mismatches: string[]; used: Set<number> }> {
    for (const f of farm) f.registers = [];
    const client = await SipPeer.udp();
    try {
      // in batches, each delivered before the next: a bounded load, no burst for the overload guard
      const arrived = () => farm.reduce((sum, f) => sum + f.registers.length, 0);
      let sent = 0;
      for (const [k, p] of through.entries()) {
        for (let n = 0; n < AORS; n++) {
          await client.send(register(n, client.port, `${tag}${k}`), p.sipPort, p.sipHost);
          if (++sent % 100 === 0) await until(() => arrived() >= sent, `${sent} REGISTERs reach the farm (${arrived()} did)`);
        }
      }
      await until(() => arrived() >= sent, `${sent} REGISTERs reach the farm`);
    } finally {
      await client.close();
    }
    const landed = new Map<string, Set<number>>();
    const used = new Set<number>();
    farm.forEach((f, index) => {
      for (const r of f.registers) {
        landed.set(r.user, (landed.get(r.user) ?? new Set()).add(index));
        used.add(index);
      }
    });
    return { mismatches: [...landed].filter(([, nodes]) => nodes.size !== 1).map(([user]) => user), used };
  }

  /** Waits until every farm node got `n` OPTIONS since the last clear, then tells who sent them. */
  async function probersAfterClear(n = 3): Promise<Array<Set<number>>> {
    for (const f of farm) f.options = [];
    await until(() => farm.every((f) => f.options.length >= n), `every farm node gets ${n} OPTIONS`);
    return farm.map((f) => new Set(f.options));
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    for (let i = 0; i < 3; i++) farm.push(await farmNode());
    const list = farm.map((f, i) => `1 ${f.uri} 0 0 duid=f${i + 1}`).join('\n');
    for (let i = 0; i < 3; i++) {
      const config = [
        'ds_ping_interval: 1',
        'ds_ping_fr_timer: 300',
        'ds_probing_mode: 1',
        'drain_timeout: 1000',
        'pike_enabled: false',
        // the machine is shared with other test runs: a busy moment must not turn into 503s here
        'overload_shedding: false',
        'routes:',
        '  - { match: { method: REGISTER }, set: 1, algorithm: 2 }',
        '  - { set: 1, algorithm: 4 }',
        'cluster:',
        `  redis: ${redis.url}`,
        `  node_id: sd${i + 1}`,
        '  key_prefix: "e2e:"',
      ].join('\n');
      // three hosts: each instance on its own loopback address
      instances.push(await startSipdispatch({ list, config, transports: ['udp'], host: `127.0.0.${11 + instances.length}` }));
    }
  }, STEP_MS);

  afterAll(async () => {
    await Promise.all(instances.filter((p) => p !== killed).map((p) => p.stop()));
    await redis?.stop();
    await Promise.all(farm.map((f) => f.peer.close()));
  }, STEP_MS);

  it('every instance sees the three members', async () => {
    await until(async () => (await Promise.all(instances.map(nodesSeen))).every((n) => n === 3), 'three members everywhere');
    const h = await health(instances[0]!);
    expect(h.cluster).toMatchObject({ connected: true, members: 3, probing: 'distributed' });
  }, STEP_MS);

  it('probes each destination from exactly one instance', async () => {
    await settle();
    const probers = await probersAfterClear();
    for (const senders of probers) expect(senders.size).toBe(1);
  }, STEP_MS);

  it('1,000 AoRs registered through each instance land on the same farm node whichever instance they pass', async () => {
    const { mismatches, used } = await registerThroughAll(instances, 'steady');
    expect(mismatches).toEqual([]);
    expect(used.size).toBe(3);
  }, STEP_MS);

  it('a destination that stops answering is inactive on every instance and gets no INVITE; it comes back the same way', async () => {
    const down = farm[1]!;
    down.silent = true;
    await until(async () => (await Promise.all(instances.map(states))).every((s) => s.get(down.uri) === 'IP'), 'inactive everywhere');
    // hash affinity holds after the failure too: every instance moves the same AoRs the same way
    const after = await registerThroughAll(instances, 'failed');
    expect(after.mismatches).toEqual([]);
    expect([...after.used].sort()).toEqual([0, 2]);
    down.invites = 0;
    const results = await Promise.all(instances.map((p) => calls(p, 15, 15)));
    expect(results.map((r) => r.failed)).toEqual([0, 0, 0]);
    expect(down.invites).toBe(0);
    down.silent = false;
    await until(async () => (await Promise.all(instances.map(states))).every((s) => s.get(down.uri) === 'AP'), 'active again everywhere');
  }, STEP_MS);

  it('set_state on one instance drains the destination on all; ap on another brings it back', async () => {
    const drained = farm[2]!;
    const r = await instances[0]!.rpc('dispatcher.set_state', ['dx', 1, drained.uri]);
    expect(r.error).toBeUndefined();
    await until(async () => (await Promise.all(instances.map(states))).every((s) => s.get(drained.uri) === 'DX'), 'drained everywhere');
    drained.invites = 0;
    const results = await Promise.all(instances.slice(1).map((p) => calls(p, 15, 15)));
    expect(results.map((x) => x.failed)).toEqual([0, 0]);
    expect(drained.invites).toBe(0);
    await instances[2]!.rpc('dispatcher.set_state', ['ap', 1, drained.uri]);
    await until(async () => (await Promise.all(instances.map(states))).every((s) => s.get(drained.uri) === 'AP'), 'active everywhere');
  }, STEP_MS);

  it('an instance killed with SIGKILL under load leaves; the survivors take over its probes and fail no call', async () => {
    const [a, b, victim] = instances;
    const load = Promise.all([calls(a!, 60, 20), calls(b!, 60, 20)]);
    await new Promise((r) => setTimeout(r, 500));
    killed = victim;
    process.kill(victim!.pid, 'SIGKILL');
    await until(async () => (await Promise.all([a!, b!].map(nodesSeen))).every((n) => n === 2), 'two members on the survivors');
    const results = await load;
    expect(results.map((r) => r.failed)).toEqual([0, 0]);
    await settle();
    const probers = await probersAfterClear();
    for (const senders of probers) {
      expect(senders.size).toBe(1);
      expect([a!.sipPort, b!.sipPort]).toContain([...senders][0]);
    }
  }, STEP_MS);

  it('Redis hanging then dying under load: no failed call, local mode, then one prober and the same states again', async () => {
    const survivors = instances.slice(0, 2);
    const load = Promise.all(survivors.map((p) => calls(p, 150, 25)));
    redis.pause();
    await until(async () => (await Promise.all(survivors.map(health))).every((h) => !h.cluster.connected && h.cluster.probing === 'all'), 'local mode on both');
    // local mode: every instance probes every destination
    const local = await probersAfterClear(4);
    for (const senders of local) expect(senders.size).toBe(2);
    await redis.kill();
    await redis.restart();
    const results = await load;
    expect(results.map((r) => r.failed)).toEqual([0, 0]);
    await until(async () => (await Promise.all(survivors.map(health))).every((h) => h.cluster.connected && h.cluster.members === 2), 'back in the cluster');
    await settle();
    const probers = await probersAfterClear();
    for (const senders of probers) expect(senders.size).toBe(1);
    const [sa, sb] = await Promise.all(survivors.map(states));
    expect([...sa!.entries()]).toEqual([...sb!.entries()]);
  }, 90_000);
});
