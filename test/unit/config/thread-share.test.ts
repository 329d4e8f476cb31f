import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { resolveConfig } from '../../../src/config/resolve.js';
import { threadLimits, threadShare } from '../../../src/config/thread-share.js';
import { relayOptions } from '../../../src/stack/sip-stack.js';

const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-thread-share-'));
const IDENTITY = { advertised: { udp: { host: '127.0.0.1', port: 5060 } }, bound: ['127.0.0.1:5060'] };

describe('threadShare: a process-wide cap divided among the threads', () => {
  it.each([
    [10_000, 1, 10_000],
    [10_000, 2, 5_000],
    [10_000, 3, 3_334],
    [50_000, 3, 16_667],
    [1, 2, 1],
    [5, 4, 2],
  ])('limit %i over %i thread(s): %i each (rounded up, so the threads together allow at least the limit)', (limit, threads, each) => {
    expect(threadShare(limit, threads)).toBe(each);
    expect(each * threads).toBeGreaterThanOrEqual(limit);
    expect((each - 1) * threads).toBeLessThan(limit);
  });

  it('0 (no cap) stays no cap on every thread', () => {
    for (const threads of [1, 2, 3]) expect(threadShare(0, threads)).toBe(0);
  });
});

describe('threadLimits: the transaction caps one thread enforces', () => {
  it('the defaults (10,000 unanswered, 50,000 answered) for 1, 2 and 3 threads', async () => {
    const resolved = resolveConfig(await loadConfig({}));
    expect(threadLimits(resolved, 1)).toEqual({ maxTransactions: 10_000, maxCompleted: 50_000 });
    expect(threadLimits(resolved, 2)).toEqual({ maxTransactions: 5_000, maxCompleted: 25_000 });
    expect(threadLimits(resolved, 3)).toEqual({ maxTransactions: 3_334, maxCompleted: 16_667 });
  });

  it('configured values, and 0 left uncapped', async () => {
    const p = join(dir, 'caps.yaml');
    writeFileSync(p, 'max_transactions: 0\nmax_completed_transactions: 9\n');
    expect(threadLimits(resolveConfig(await loadConfig({ config: p })), 2)).toEqual({ maxTransactions: 0, maxCompleted: 5 });
  });

  it("the relay's max_transactions is the thread's share (one thread unless told)", async () => {
    const config = await loadConfig({});
    expect(relayOptions(config, IDENTITY).shedding.maxTransactions).toBe(10_000);
    expect(relayOptions(config, IDENTITY, 2).shedding.maxTransactions).toBe(5_000);
    expect(relayOptions(config, IDENTITY, 3).shedding.maxTransactions).toBe(3_334);
  });
});
