/** cluster.list_nodes and the cluster part of /health, over a real single-instance cluster node. */
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode } from '../../../src/cluster/cluster-node.js';
import { MemoryBackend, MemoryHub } from '../../../src/cluster/memory-backend.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { ManualScheduler } from '../../../src/shared/scheduler.js';
import { fixtureDispatcher, rpc, testAdmin, type TestAdmin } from './admin-fixture.js';

let t: TestAdmin | undefined;
let node: ClusterNode | undefined;

afterEach(async () => {
  await node?.stop();
  await t?.close();
});

async function withCluster(): Promise<TestAdmin> {
  const scheduler = new ManualScheduler();
  const dispatcher = fixtureDispatcher();
  node = new ClusterNode(
    { id: 'sbc-a', probing: 'distributed', heartbeatMs: 1000, memberTtlMs: 3000, resyncMs: 5000, loadIntervalMs: 50 },
    { dispatcher, backend: new MemoryBackend(new MemoryHub(() => scheduler.now())), scheduler, wallClock: () => Date.UTC(2026, 11, 4), logger: silentLogger, address: () => ({ sip: ['udp:127.0.0.1:5060'], http: '127.0.0.1:9060' }) },
  );
  node.start();
  for (let i = 0; i < 5; i++) await Promise.resolve();
  t = testAdmin({ cluster: node }, dispatcher);
  return t;
}

describe('admin: cluster', () => {
  it('cluster.list_nodes lists the live members', async () => {
    const admin = await withCluster();
    const { body } = await rpc(admin, 'cluster.list_nodes');
    expect(body['result']).toMatchObject({
      NODE_ID: 'sbc-a',
      PROBING: 'distributed',
      EFFECTIVE: 'distributed',
      CONNECTED: 1,
      NODES: [{ ID: 'sbc-a', SELF: 1, SIP: ['udp:127.0.0.1:5060'], HTTP: '127.0.0.1:9060', STARTED: '2026-12-04T00:00:00.000Z' }],
    });
  });

  it('/health carries the cluster summary', async () => {
    const admin = await withCluster();
    const res = await admin.app.inject({ method: 'GET', url: '/health' });
    expect(res.json()).toMatchObject({ status: 'ok', cluster: { id: 'sbc-a', connected: true, probing: 'distributed', members: 1, listMismatch: false } });
  });

  it('without a cluster, /health is as before and the method is unknown', async () => {
    t = testAdmin();
    expect((await t.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    expect((await rpc(t, 'cluster.list_nodes')).body['error']).toMatchObject({ message: 'Method Not Found' });
  });
});
