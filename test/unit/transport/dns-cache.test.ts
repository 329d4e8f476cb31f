import { describe, expect, it } from 'vitest';
import { DnsCache, type DnsCacheOptions } from '../../../src/transport/dns-cache.js';

function cache(options: Partial<DnsCacheOptions> = {}) {
  const clock = { now: 0 };
  const asked: string[] = [];
  const answers = new Map<string, { address: string; ttlMs: number | undefined } | Error>();
  const c = new DnsCache({
    now: () => clock.now,
    fallbackTtlMs: 60_000,
    maxTtlMs: 3_600_000,
    negativeTtlMs: 30_000,
    maxEntries: 100,
    maxPending: 10,
    lookup: async (host) => {
      asked.push(host);
      const a = answers.get(host) ?? new Error(`ENOTFOUND ${host}`);
      if (a instanceof Error) throw a;
      return a;
    },
    ...options,
  });
  return { c, clock, asked, answers };
}

describe('DnsCache', () => {
  it('answers IP literals synchronously and never asks', () => {
    const { c, asked } = cache();
    expect(c.resolve('192.0.2.1')).toBe('192.0.2.1');
    expect(c.resolve('::1')).toBe('::1');
    expect(asked).toEqual([]);
  });

  it('keeps an answer for its TTL, then asks again', async () => {
    const { c, clock, asked, answers } = cache();
    answers.set('fs1.example.com', { address: '192.0.2.11', ttlMs: 10_000 });
    expect(await c.resolve('fs1.example.com')).toBe('192.0.2.11');
    expect(c.resolve('fs1.example.com')).toBe('192.0.2.11');
    clock.now = 10_000;
    expect(await c.resolve('fs1.example.com')).toBe('192.0.2.11');
    expect(asked).toEqual(['fs1.example.com', 'fs1.example.com']);
  });

  it('remembers a name that does not resolve for the negative TTL', async () => {
    const { c, clock, asked } = cache();
    await expect(c.resolve('nope.example.com')).rejects.toThrow('ENOTFOUND');
    await expect(c.resolve('nope.example.com')).rejects.toThrow('ENOTFOUND');
    expect(asked).toEqual(['nope.example.com']);
    clock.now = 30_000;
    await expect(c.resolve('nope.example.com')).rejects.toThrow('ENOTFOUND');
    expect(asked).toHaveLength(2);
  });

  it('stays bounded under 200,000 distinct names from the network, counting evictions', async () => {
    const { c } = cache({ maxPending: 1_000_000 });
    for (let i = 0; i < 200_000; i += 1000) {
      await Promise.allSettled(Array.from({ length: 1000 }, (_, k) => c.resolve(`h${i + k}.attacker.example`)));
    }
    expect(c.size).toBe(100);
    expect(c.evicted).toBe(200_000 - 100);
  });

  it('refuses more lookups in flight than maxPending, and joins a lookup already in flight', async () => {
    const { c, asked, answers } = cache({ maxPending: 2 });
    answers.set('a.example', { address: '192.0.2.1', ttlMs: undefined });
    answers.set('b.example', { address: '192.0.2.2', ttlMs: undefined });
    const a = c.resolve('a.example');
    const again = c.resolve('a.example');
    const b = c.resolve('b.example');
    await expect(c.resolve('c.example')).rejects.toThrow('lookups in flight');
    expect(await a).toBe('192.0.2.1');
    expect(await again).toBe('192.0.2.1');
    expect(await b).toBe('192.0.2.2');
    expect(asked).toEqual(['a.example', 'b.example']);
  });
});
