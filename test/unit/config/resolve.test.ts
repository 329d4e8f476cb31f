import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { resolveConfig } from '../../../src/config/resolve.js';

const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-resolve-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('resolveConfig', () => {
  it('turns the defaults into option blocks in milliseconds', async () => {
    const o = resolveConfig(await loadConfig({}));
    expect(o.probe).toMatchObject({ intervalMs: 10_000, method: 'OPTIONS', frTimerMs: 0, concurrency: 32 });
    expect(o.dispatcher.callLoad).toEqual({ expireMs: 7_200_000, initExpireMs: 7_200_000 });
    expect(o.dispatcher.latency).toEqual({ enabled: true, alpha: 0.9 });
    expect(o.admin).toMatchObject({ reloadDeltaMs: 5000, http: { host: '127.0.0.1', port: 9060 }, listBlocks: { latencyStats: true, callLoad: false } });
    expect(o.timers).toEqual({ t1: 500, t2: 4000, t4: 5000, frTimer: 5000, frInvTimer: 120_000, waitTimer: 5000 });
    expect(o.transport.tcp).toEqual({ idleTimeoutMs: 600_000, maxConnections: 4096, maxBufferedBytes: 262_144, connectTimeoutMs: 3000, msgReadTimeoutMs: 10_000, acceptIpLimit: 64, maxQueuedTotal: 67_108_864 });
    expect(o.edge).toMatchObject({ pike: { enabled: true, density: 16, windowMs: 2000 }, banMs: 300_000, scannerSilence: true, trusted: [] });
    expect(o.lifecycle).toEqual({ drainTimeoutMs: 32_000, workers: 'auto', heapGrowth: 'auto' });
    expect(o.selection).toEqual({ useDefault: false, hashFailover: 'neighbour' });
    expect(o.webhook).toBeUndefined();
    expect(o.warnings).toEqual([]);
  });

  it('hands the transaction layer max_completed_transactions (50,000 unless set; 0 = no cap)', async () => {
    expect(resolveConfig(await loadConfig({})).transactions).toEqual({ maxCompleted: 50_000 });
    const set = await loadConfig({ config: file('completed.yaml', 'max_completed_transactions: 0\n') });
    expect(resolveConfig(set).transactions).toEqual({ maxCompleted: 0 });
  });

  it('parses the routes once: methods upper case, regular expressions, failover codes, hash_value', async () => {
    const p = file('routes.yaml', [
      'routes:',
      '  - { match: { method: [register, Options], ruri_user: "^\\\\+44" }, set: 2, algorithm: 8, failover: { on: [503], max_tries: 2 } }',
      '  - { set: 1, algorithm: 7, hash_value: "$fU@$fd", limit: 2 }',
      '',
    ].join('\n'));
    const [a, b] = resolveConfig(await loadConfig({ config: p })).relay.routes;
    expect(a).toMatchObject({ methods: ['REGISTER', 'OPTIONS'], set: 2, algorithm: 8, maxTries: 2, hashValue: undefined });
    expect(a!.ruriUser?.test('+4420')).toBe(true);
    expect([...a!.failoverOn]).toEqual([503]);
    expect(b).toMatchObject({ methods: [], ruriUser: undefined, limit: 2, hashValue: [{ kind: 'variable', name: 'fU' }, { kind: 'text', text: '@' }, { kind: 'variable', name: 'fd' }] });
  });

  it('validates ds_ping_reply_codes and reports every finding as a warning', async () => {
    const o = resolveConfig(await loadConfig({}, { ds_ping_reply_codes: 'class=3;code=408;code=99;bogus' }));
    expect(o.dispatcher.health.replyCodes).toEqual({ codes: [408], classes: [3] });
    expect(o.probe.health).toBe(o.dispatcher.health);
    expect(o.warnings).toEqual([
      'ds_ping_reply_codes: "code=99" ignored (expected code=100..699 or class=1..6)',
      'ds_ping_reply_codes: "bogus" ignored (expected code=100..699 or class=1..6)',
      'ds_ping_reply_codes: 408 is accepted, so keepalive timeouts will count as successes',
    ]);
  });

  it('is frozen through and computed once per config', async () => {
    const config = await loadConfig({}, { webhook_url: 'http://127.0.0.1:9/hook' });
    const o = resolveConfig(config);
    expect(resolveConfig(config)).toBe(o);
    expect(o.webhook).toEqual({ url: 'http://127.0.0.1:9/hook', retries: 3, queueSize: 1000 });
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.relay.routes[0])).toBe(true);
    expect(Object.isFrozen(o.dispatcher.health.replyCodes)).toBe(true);
  });
});
