/**
 * The cluster node over the in-memory hub, several "instances" in one process on fake time:
 * membership, probe ownership, replicated states and ping_active, call loads, local mode and
 * recovery. Message delivery is asynchronous (microtasks), as with Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode, type ClusterNodeOptions } from '../../../src/cluster/cluster-node.js';
import { destinationKey, PING_KEY } from '../../../src/cluster/cluster-port.js';
import { MemoryBackend, MemoryHub } from '../../../src/cluster/memory-backend.js';
import { OwnedProbes } from '../../../src/cluster/owned-probes.js';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { stateLetters } from '../../../src/dispatcher/flags.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { dispatcherOptions, key, opts } from '../dispatcher/helpers.js';

const LIST = [
  '1 sip:10.0.0.11:5060 0 0 duid=a;maxload=100',
  '1 sip:10.0.0.12:5060 0 0 duid=b;maxload=100',
  '1 sip:10.0.0.13:5060 0 0 duid=c;maxload=100',
  '1 sip:10.0.0.14:5060 0 0 duid=d;maxload=100',
  '2 sip:10.0.0.21:5060 0 0 duid=e',
  '2 sip:10.0.0.22:5060 0 0 duid=f',
].join('\n');

const OPTIONS: Omit<ClusterNodeOptions, 'id'> = { probing: 'distributed', heartbeatMs: 1000, memberTtlMs: 3000, resyncMs: 5000, loadIntervalMs: 250 };

interface Instance {
  id: string;
  dispatcher: Dispatcher;
  node: ClusterNode;
  backend: MemoryBackend;
}

let scheduler: ManualScheduler;
let hub: MemoryHub;
let instances: Instance[] = [];

function instance(id: string, over: Partial<ClusterNodeOptions> = {}, list = LIST): Instance {
  const dispatcher = new Dispatcher(dispatcherOptions({ now: () => scheduler.now(), callLoad: { expireMs: 3_600_000, initExpireMs: 60_000 } }));
  const r = dispatcher.load(list, 'dispatcher.list');
  if (!r.ok) throw new Error(r.error.errors.join('\n'));
  const backend = new MemoryBackend(hub);
  const node = new ClusterNode({ ...OPTIONS, id, ...over }, {
    dispatcher,
    backend,
    scheduler,
    wallClock: () => 1_700_000_000_000 + scheduler.now(),
    logger: silentLogger,
    address: () => ({ sip: [`udp:127.0.0.1:${5060 + instances.length}`], http: '127.0.0.1:9060' }),
  });
  const inst = { id, dispatcher, node, backend };
  instances.push(inst);
  return inst;
}

/** Advances fake time in steps, letting the hub's microtasks and promise chains run between them. */
async function advance(ms: number, step = 50): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    scheduler.advance(Math.min(step, ms - t));
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}

function stateOf(i: Instance, setId: number, uri: string): string {
  const d = i.dispatcher.snapshot.sets.get(setId)!.destinations.find((x) => x.uri === uri)!;
  return stateLetters(d.runtime.health.state);
}

const allDestinations = (i: Instance) => [...i.dispatcher.snapshot.sets.values()].flatMap((s) => s.destinations);

async function cluster(n: number, over: Partial<ClusterNodeOptions> = {}): Promise<Instance[]> {
  const out = Array.from({ length: n }, (_, k) => instance(`node-${k + 1}`, over));
  for (const i of out) i.node.start();
  await advance(1100);
  return out;
}

function setup(): void {
  scheduler = new ManualScheduler();
  hub = new MemoryHub(() => scheduler.now());
  instances = [];
}

afterEach(async () => {
  for (const i of instances) await i.node.stop();
});

describe('ClusterNode: membership', () => {
  it('a single instance is its only member and probes every destination', async () => {
    setup();
    const [a] = await cluster(1);
    expect(a!.node.connected).toBe(true);
    expect(a!.node.status().members.map((m) => m.id)).toEqual(['node-1']);
    expect(allDestinations(a!).every(a!.node.shouldProbe)).toBe(true);
  });

  it('sees every live member, and a member that stops heartbeating leaves after the TTL', async () => {
    setup();
    const [a, b, c] = await cluster(3);
    expect(a!.node.status().members.map((m) => m.id)).toEqual(['node-1', 'node-2', 'node-3']);
    // c dies without leaving (kill -9): its timers stop, its key expires
    (c!.node as unknown as { state: string }).state = 'stopped';
    await advance(4500);
    expect(a!.node.status().members.map((m) => m.id)).toEqual(['node-1', 'node-2']);
    expect(b!.node.status().members.map((m) => m.id)).toEqual(['node-1', 'node-2']);
  });

  it('a dead member is seen gone soon after its TTL, between two heartbeats', async () => {
    setup();
    const [a] = await cluster(2);
    // c joins out of phase with a's heartbeats (a: every whole second; c: 1100, 2100, ...)
    const c = instance('node-3');
    c.node.start();
    await advance(1050);
    expect(a!.node.status().members.map((m) => m.id)).toEqual(['node-1', 'node-2', 'node-3']);
    // killed right after its heartbeat at 2100: its entry expires at 5100, a's next heartbeat
    // after that is at 6000; the read between heartbeats (every 250 ms) sees it gone by 5250
    (c.node as unknown as { state: string }).state = 'stopped';
    await advance(5400 - scheduler.now());
    expect(a!.node.status().members.map((m) => m.id)).toEqual(['node-1', 'node-2']);
  });

  it('a graceful stop leaves at once', async () => {
    setup();
    const [a, , c] = await cluster(3);
    await c!.node.stop();
    await advance(1100);
    expect(a!.node.status().members.map((m) => m.id)).toEqual(['node-1', 'node-2']);
  });

  it('shows a list mismatch when a member loaded a different list', async () => {
    setup();
    const a = instance('node-1');
    const b = instance('node-2', {}, `${LIST}\n3 sip:10.0.0.31:5060`);
    a.node.start();
    b.node.start();
    await advance(2100);
    expect(a.node.status().listMismatch).toBe(true);
    expect(a.node.status().digest).not.toBe(b.node.status().digest);
    // while the lists differ each instance probes its whole list: nothing goes unprobed
    expect(a.node.effective).toBe('all');
    expect(allDestinations(b).every(b.node.shouldProbe)).toBe(true);
    setup();
    const [x] = await cluster(2);
    expect(x!.node.status().listMismatch).toBe(false);
    expect(x!.node.effective).toBe('distributed');
  });
});

describe('ClusterNode: probing', () => {
  it('distributed: each destination has exactly one prober, and all agree who it is', async () => {
    setup();
    const nodes = await cluster(3);
    for (const d of allDestinations(nodes[0]!)) {
      const probers = nodes.filter((i) => i.node.shouldProbe(i.dispatcher.snapshot.byIuid.get(d.iuid) ?? allDestinations(i).find((x) => x.uri === d.uri)!));
      expect(probers).toHaveLength(1);
      const k = destinationKey(d.setId, d.uri);
      expect(new Set(nodes.map((i) => i.node.ownerOf(k)))).toEqual(new Set([probers[0]!.id]));
    }
    // six destinations over three members: not all on one
    const owners = new Set(allDestinations(nodes[0]!).map((d) => nodes[0]!.node.ownerOf(destinationKey(d.setId, d.uri))));
    expect(owners.size).toBeGreaterThan(1);
  });

  it('the prober is given only the destinations this instance owns', async () => {
    setup();
    const [a] = await cluster(3);
    const owned = new OwnedProbes(a!.dispatcher, a!.node.shouldProbe).probeTargets();
    expect(owned.length).toBeLessThan(allDestinations(a!).length);
    expect(owned.every(a!.node.shouldProbe)).toBe(true);
  });

  it('survivors take over the probes of a member that died', async () => {
    setup();
    const [a, b, c] = await cluster(3);
    const ofC = allDestinations(c!).filter(c!.node.shouldProbe);
    (c!.node as unknown as { state: string }).state = 'stopped';
    await advance(4500);
    for (const d of ofC) {
      const k = destinationKey(d.setId, d.uri);
      expect([a!.node.ownerOf(k), b!.node.ownerOf(k)]).toEqual([a!.node.ownerOf(k), a!.node.ownerOf(k)]);
      expect(['node-1', 'node-2']).toContain(a!.node.ownerOf(k));
    }
  });

  it('leader: one lease holder probes everything; another takes over when it dies', async () => {
    setup();
    const nodes = await cluster(3, { probing: 'leader' });
    const leaders = nodes.filter((i) => allDestinations(i).every(i.node.shouldProbe));
    expect(leaders).toHaveLength(1);
    expect(nodes.filter((i) => i !== leaders[0]).every((i) => allDestinations(i).every((d) => !i.node.shouldProbe(d)))).toBe(true);
    (leaders[0]!.node as unknown as { state: string }).state = 'stopped';
    await advance(4500);
    const rest = nodes.filter((i) => i !== leaders[0]);
    expect(rest.filter((i) => allDestinations(i).every(i.node.shouldProbe))).toHaveLength(1);
  });

  it('all: every instance probes every destination', async () => {
    setup();
    const nodes = await cluster(2, { probing: 'all' });
    for (const i of nodes) expect(allDestinations(i).every(i.node.shouldProbe)).toBe(true);
  });
});

describe('ClusterNode: replicated state', () => {
  it('set_state on one instance reaches every other', async () => {
    setup();
    const [a, b, c] = await cluster(3);
    expect(a!.dispatcher.setState(1, { uri: 'sip:10.0.0.12:5060' }, 'dx').ok).toBe(true);
    await advance(100);
    expect(stateOf(b!, 1, 'sip:10.0.0.12:5060')).toBe('DX');
    expect(stateOf(c!, 1, 'sip:10.0.0.12:5060')).toBe('DX');
    // a drained destination is never selected anywhere
    for (const i of [a!, b!, c!]) {
      for (let n = 0; n < 20; n++) expect(i.dispatcher.select(1, 4, key({ callId: `c${n}` }), opts())[0]!.uri).not.toBe('sip:10.0.0.12:5060');
    }
    b!.dispatcher.setState(1, { uri: 'sip:10.0.0.12:5060' }, 'ap');
    await advance(100);
    expect([a!, b!, c!].map((i) => stateOf(i, 1, 'sip:10.0.0.12:5060'))).toEqual(['AP', 'AP', 'AP']);
    expect(stateOf(a!, 1, 'sip:10.0.0.11:5060')).toBe('AX');
  });

  it('the last change in the engine\'s order wins on every instance, whoever made it', async () => {
    setup();
    const nodes = await cluster(3);
    const uri = 'sip:10.0.0.11:5060';
    for (let n = 0; n < 20; n++) nodes[n % 3]!.dispatcher.setState(1, { uri }, n % 2 === 0 ? 'ip' : 'ap');
    await advance(200);
    const states = nodes.map((i) => stateOf(i, 1, uri));
    expect(new Set(states).size).toBe(1);
  });

  it('a probe result from the owner is applied by the others; the others never probe it', async () => {
    setup();
    const nodes = await cluster(3);
    const d = allDestinations(nodes[0]!)[0]!;
    const owner = nodes.find((i) => i.node.ownerOf(destinationKey(d.setId, d.uri)) === i.id)!;
    const own = owner.dispatcher.snapshot.byIuid.get(allDestinations(owner).find((x) => x.uri === d.uri)!.iuid)!;
    owner.dispatcher.recordProbeResult(own, 408, 'Request Timeout', undefined);
    await advance(100);
    for (const i of nodes) expect(stateOf(i, d.setId, d.uri)).toBe('IP');
    owner.dispatcher.recordProbeResult(own, 200, 'OK', 1);
    await advance(100);
    for (const i of nodes) expect(stateOf(i, d.setId, d.uri)).toBe('AP');
  });

  it('a probe result never brings back a destination the operator disabled', async () => {
    setup();
    const [a, b] = await cluster(2);
    const uri = 'sip:10.0.0.13:5060';
    a!.dispatcher.setState(1, { uri }, 'dx');
    await advance(100);
    // a probe result that raced the drain, published after it
    await b!.backend.publishState({ key: destinationKey(1, uri), state: { availability: 'active', probing: true, noPing: false, noDns: false }, trigger: 'probe', origin: 'node-9', seq: 1, at: 0 });
    await advance(100);
    expect([stateOf(a!, 1, uri), stateOf(b!, 1, uri)]).toEqual(['DX', 'DX']);
  });

  it('a traffic mark applies locally at once and is published', async () => {
    setup();
    const [a, b] = await cluster(2, {});
    const d = allDestinations(a!)[0]!;
    a!.dispatcher.markByTraffic(d, 'timeout');
    expect(stateOf(a!, 1, d.uri)).toBe('IP');
    await advance(100);
    expect(stateOf(b!, 1, d.uri)).toBe('IP');
  });

  it('ping_active follows the instance where the operator switched it', async () => {
    setup();
    const [a, b] = await cluster(2);
    a!.dispatcher.pingActive = false;
    a!.node.pingActiveChanged(false);
    await advance(100);
    expect(b!.dispatcher.pingActive).toBe(false);
    expect(a!.dispatcher.pingActive).toBe(false);
    expect(PING_KEY).not.toContain(' ');
  });

  it('an instance that joins later takes the stored states (anti-entropy)', async () => {
    setup();
    const [a] = await cluster(2);
    a!.dispatcher.setState(2, { uri: 'sip:10.0.0.21:5060' }, 'dx');
    await advance(100);
    const late = instance('node-3');
    late.node.start();
    await advance(1100);
    expect(stateOf(late, 2, 'sip:10.0.0.21:5060')).toBe('DX');
  });
});

describe('ClusterNode: hash affinity', () => {
  it('1,000 AoRs hash to the same destination through every instance, steady and after a failure', async () => {
    setup();
    const nodes = await cluster(3);
    const picks = () => nodes.map((i) => Array.from({ length: 1000 }, (_, n) => i.dispatcher.select(1, 2, key({ toUri: `sip:user${n}@example.com`, isInvite: false }), opts())[0]!.uri));
    const mismatches = (all: string[][]) => all[0]!.filter((uri, n) => all.some((p) => p[n] !== uri)).length;
    const steady = picks();
    expect(mismatches(steady)).toBe(0);
    // the owner of one destination finds it dead; the others learn it, and all rehash alike
    const d = allDestinations(nodes[0]!)[0]!;
    const owner = nodes.find((i) => i.node.ownerOf(destinationKey(d.setId, d.uri)) === i.id)!;
    owner.dispatcher.recordProbeResult(allDestinations(owner).find((x) => x.uri === d.uri)!, 408, 'Request Timeout', undefined);
    await advance(100);
    const after = picks();
    expect(mismatches(after)).toBe(0);
    expect(after[0]).not.toContain(d.uri);
    expect(after[0]).not.toEqual(steady[0]);
  });
});

describe('ClusterNode: local mode', () => {
  it('while the engine is unreachable every instance probes everything; back, one prober again', async () => {
    setup();
    const nodes = await cluster(3);
    hub.down = true;
    await advance(100);
    for (const i of nodes) {
      expect(i.node.effective).toBe('all');
      expect(allDestinations(i).every(i.node.shouldProbe)).toBe(true);
    }
    hub.down = false;
    await advance(1100);
    for (const d of allDestinations(nodes[0]!)) {
      expect(nodes.filter((i) => i.node.shouldProbe(allDestinations(i).find((x) => x.uri === d.uri)!))).toHaveLength(1);
    }
  });

  it('an idle node notices a hung engine by its read between heartbeats', async () => {
    setup();
    const [a] = await cluster(2);
    const real = a!.backend.liveMembers.bind(a!.backend);
    a!.backend.liveMembers = () => Promise.reject(new Error('Command timed out'));
    // a members read every heartbeat_interval / 4 (250 ms here), before the next heartbeat at 2000 ms
    await advance(300, 10);
    expect(a!.node.effective).toBe('all');
    a!.backend.liveMembers = real;
    await advance(1000);
    expect(a!.node.effective).toBe('distributed');
  });

  it('a failed publication means local mode at once; the next heartbeat brings the node back', async () => {
    setup();
    const [a] = await cluster(2);
    const real = a!.backend.publishLoad.bind(a!.backend);
    let failures = 1;
    a!.backend.publishLoad = (record, ttl) => (failures-- > 0 ? Promise.reject(new Error('Command timed out')) : real(record, ttl));
    a!.dispatcher.select(1, 10, key({ callId: 'x1' }), opts());
    // the next load publication (every 250 ms here) fails
    await advance(260, 10);
    expect(a!.node.effective).toBe('all');
    await advance(1100);
    expect(a!.node.effective).toBe('distributed');
  });

  it('a drain made during the outage reaches the others when the engine is back', async () => {
    setup();
    const [a, b, c] = await cluster(3);
    const before = stateOf(b!, 1, 'sip:10.0.0.14:5060');
    hub.down = true;
    await advance(100);
    a!.dispatcher.setState(1, { uri: 'sip:10.0.0.14:5060' }, 'dx');
    await advance(2000);
    expect(stateOf(b!, 1, 'sip:10.0.0.14:5060')).toBe(before);
    hub.down = false;
    await advance(1500);
    expect([a!, b!, c!].map((i) => stateOf(i, 1, 'sip:10.0.0.14:5060'))).toEqual(['DX', 'DX', 'DX']);
  });

  it('after the engine restarted empty, states converge again (versions start over)', async () => {
    setup();
    const nodes = await cluster(3);
    for (let n = 0; n < 5; n++) nodes[0]!.dispatcher.setState(1, { uri: 'sip:10.0.0.11:5060' }, n % 2 ? 'ap' : 'ip');
    await advance(100);
    hub.down = true;
    hub.flush();
    await advance(100);
    hub.down = false;
    await advance(1500);
    nodes[1]!.dispatcher.setState(1, { uri: 'sip:10.0.0.12:5060' }, 'dx');
    await advance(200);
    expect(nodes.map((i) => stateOf(i, 1, 'sip:10.0.0.12:5060'))).toEqual(['DX', 'DX', 'DX']);
  });

  it('after an outage, the owner republishes what its own probes found meanwhile', async () => {
    setup();
    const nodes = await cluster(3);
    const d = allDestinations(nodes[0]!)[1]!;
    const owner = nodes.find((i) => i.node.ownerOf(destinationKey(d.setId, d.uri)) === i.id)!;
    hub.down = true;
    await advance(100);
    const own = allDestinations(owner).find((x) => x.uri === d.uri)!;
    owner.dispatcher.recordProbeResult(own, 408, 'Request Timeout', undefined);
    hub.down = false;
    await advance(1500);
    expect(nodes.map((i) => stateOf(i, d.setId, d.uri))).toEqual(['IP', 'IP', 'IP']);
  });
});

describe('ClusterNode: call load', () => {
  it('algorithm 10 sees the calls of every live instance plus its own, and none of a dead one', async () => {
    setup();
    const [a, b, c] = await cluster(3);
    // b and c each take 30 calls on set 1
    for (let n = 0; n < 30; n++) {
      b!.dispatcher.select(1, 10, key({ callId: `b${n}` }), opts());
      c!.dispatcher.select(1, 10, key({ callId: `c${n}` }), opts());
    }
    await advance(400);
    const total = (i: Instance) => i.dispatcher.list()[0]!.destinations.reduce((n, d) => n + d.callLoad, 0);
    expect(total(a!)).toBe(60);
    expect(total(b!)).toBe(60);
    a!.dispatcher.select(1, 10, key({ callId: 'a0' }), opts());
    expect(total(a!)).toBe(61);
    // c dies: its calls stop counting after the TTL, never left high
    (c!.node as unknown as { state: string }).state = 'stopped';
    await advance(4500);
    expect(total(a!)).toBe(31);
    expect(total(b!)).toBe(31);
  });

  it('maxload counts the cluster\'s calls: a full destination is skipped everywhere', async () => {
    setup();
    const [a, b] = await cluster(2);
    // fill destination a (maxload 100) from b: 100 calls pinned by failing over the others
    for (const uri of ['sip:10.0.0.12:5060', 'sip:10.0.0.13:5060', 'sip:10.0.0.14:5060']) b!.dispatcher.setState(1, { uri }, 'ip');
    for (let n = 0; n < 100; n++) b!.dispatcher.select(1, 10, key({ callId: `b${n}` }), opts());
    for (const uri of ['sip:10.0.0.12:5060', 'sip:10.0.0.13:5060', 'sip:10.0.0.14:5060']) b!.dispatcher.setState(1, { uri }, 'ap');
    await advance(400);
    const picked = a!.dispatcher.select(1, 10, key({ callId: 'a1' }), opts())[0]!;
    expect(picked.uri).not.toBe('sip:10.0.0.11:5060');
  });
});
