/** The `cluster` block: absent = single instance in memory; its keys in ms; a TTL under two heartbeats warns. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { resolveConfig } from '../../../src/config/resolve.js';

async function withFile(yaml: string) {
  const p = join(mkdtempSync(join(tmpdir(), 'sipdispatch-cluster-config-')), 'c.yaml');
  writeFileSync(p, yaml);
  return loadConfig({ config: p });
}

describe('config: cluster', () => {
  it('defaults to a single instance with distributed probing and the documented intervals', async () => {
    const o = resolveConfig(await loadConfig({}));
    expect(o.cluster).toEqual({ id: undefined, probing: 'distributed', heartbeatMs: 1000, memberTtlMs: 3000, resyncMs: 5000, loadIntervalMs: 50, redis: undefined });
  });

  it('takes Redis, id, prefix, probing and timeouts from the file', async () => {
    const o = resolveConfig(await withFile('cluster:\n  redis: redis://127.0.0.1:6390/2\n  node_id: sbc-a\n  key_prefix: "lab:"\n  probing: leader\n  command_timeout: 200\n'));
    expect(o.cluster).toMatchObject({ id: 'sbc-a', probing: 'leader', redis: { url: 'redis://127.0.0.1:6390/2', keyPrefix: 'lab:', commandTimeoutMs: 200, maxRetryDelayMs: 1000 } });
    expect(o.warnings).toEqual([]);
  });

  it('rejects an unknown probing mode, a non-Redis URL and an id with spaces', async () => {
    await expect(withFile('cluster:\n  probing: some\n')).rejects.toThrow(/probing/);
    await expect(withFile('cluster:\n  redis: http://127.0.0.1:6379\n')).rejects.toThrow(/redis/);
    await expect(withFile('cluster:\n  node_id: "a b"\n')).rejects.toThrow(/node_id/);
  });

  it('warns when a member would expire after one late heartbeat', async () => {
    const o = resolveConfig(await withFile('cluster:\n  heartbeat_interval: 1000\n  member_ttl: 1500\n'));
    expect(o.warnings).toEqual(['cluster.member_ttl 1500 ms is less than two heartbeat_interval (1000 ms): one late heartbeat drops a live member']);
  });
});
