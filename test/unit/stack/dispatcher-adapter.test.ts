/**
 * The relay's ds_is_from_list index: built ahead of a sliced reload's swap (indexSteps), adopted
 * when that snapshot comes into force, and built at once for a snapshot nobody prepared.
 */
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { runSliced } from '../../../src/stack/run-sliced.js';
import { DispatcherAdapter } from '../../../src/stack/dispatcher-adapter.js';
import { dispatcherOptions } from '../dispatcher/helpers.js';

function list(from: number, count: number): string {
  const lines: string[] = [];
  for (let i = from; i < from + count; i++) lines.push(`${1 + (i % 5)} sip:10.0.${(i >> 8) & 255}.${i & 255}:5070 0`);
  return lines.join('\n');
}

describe('DispatcherAdapter address index', () => {
  it('is built in steps before a sliced reload swaps, and answers for the new list after it', async () => {
    const d = new Dispatcher(dispatcherOptions());
    expect(d.load(list(0, 1000), 'a.list').ok).toBe(true);
    const adapter = new DispatcherAdapter(d, { useDefault: false, hashFailover: 'neighbour' });
    expect(adapter.isFromDestination('10.0.0.5', 5070, 'udp')).toBe(true);
    expect(adapter.isFromDestination('10.0.7.208', 5070, 'udp')).toBe(false);
    let pauses = 0;
    const r = await runSliced(d.reloadSteps(list(1000, 1000), 'b.list', { slice: 100, prepare: (next) => adapter.indexSteps(next, 100) }), async () => {
      pauses++;
      // the old list is in force until the swap: the old index answers
      if (pauses === 5) expect(adapter.isFromDestination('10.0.0.5', 5070, 'udp')).toBe(true);
    });
    expect(r.ok).toBe(true);
    expect(pauses).toBeGreaterThan(10);
    // 1999 = 10.0.7.207
    expect(adapter.isFromDestination('10.0.7.207', 5070, 'udp')).toBe(true);
    expect(adapter.isFromDestination('10.0.7.207', 5071, 'udp')).toBe(false);
    expect(adapter.isFromDestination('10.0.0.5', 5070, 'udp')).toBe(false);
    expect(adapter.isDestinationHost('10.0.7.207')).toBe(true);
  });

  it('builds the index at once for a snapshot it did not prepare (dispatcher.add)', () => {
    const d = new Dispatcher(dispatcherOptions());
    expect(d.load(list(0, 10), 'a.list').ok).toBe(true);
    const adapter = new DispatcherAdapter(d, { useDefault: false, hashFailover: 'neighbour' });
    expect(adapter.isFromDestination('192.0.2.9', 5060, 'udp')).toBe(false);
    expect(d.add(1, 'sip:192.0.2.9').ok).toBe(true);
    // no port in the URI: any port of that address matches
    expect(adapter.isFromDestination('192.0.2.9', 5099, 'udp')).toBe(true);
  });

  it('keeps every port of an address, any port for a URI without one, IPv6 without brackets', () => {
    const d = new Dispatcher(dispatcherOptions());
    const text = ['1 sip:10.0.0.1:5070', '2 sip:10.0.0.1:5080', '3 sip:10.0.0.1:5070', '1 sip:10.0.0.2:5070', '2 sip:10.0.0.2', '1 sip:[2001:db8::1]:5090', '1 sip:backend.example.com:5060'].join('\n');
    expect(d.load(text, 'a.list').ok).toBe(true);
    const adapter = new DispatcherAdapter(d, { useDefault: false, hashFailover: 'neighbour' });
    adapter.indexNow();
    expect(adapter.isFromDestination('10.0.0.1', 5070, 'udp')).toBe(true);
    expect(adapter.isFromDestination('10.0.0.1', 5080, 'tcp')).toBe(true);
    expect(adapter.isFromDestination('10.0.0.1', 5060, 'udp')).toBe(false);
    // 10.0.0.2: one destination with port 5070, one without a port
    expect(adapter.isFromDestination('10.0.0.2', 5071, 'udp')).toBe(true);
    expect(adapter.isFromDestination('2001:db8::1', 5090, 'udp')).toBe(true);
    expect(adapter.isFromDestination('2001:db8::1', 5091, 'udp')).toBe(false);
    expect(adapter.isDestinationHost('2001:db8::1')).toBe(true);
    expect(adapter.isDestinationHost('10.0.0.3')).toBe(false);
    // names are matched once resolved, not here
    expect(adapter.isDestinationHost('backend.example.com')).toBe(false);
  });
});

describe('DispatcherAdapter.select', () => {
  it('returns the candidates in an array of their own length, without holes for destinations that have no next hop', () => {
    const d = new Dispatcher(dispatcherOptions());
    expect(d.load('1 sip:10.0.0.1:5070;transport=sctp 0\n1 sip:10.0.0.2:5070 0\n1 sip:10.0.0.3:5070 0', 'a.list').ok).toBe(true);
    const adapter = new DispatcherAdapter(d, { useDefault: false, hashFailover: 'neighbour' });
    const picked = adapter.select(1, 0, { callId: 'c1' } as never, 0);
    expect(picked.map((c) => c.host).sort()).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(picked).toHaveLength(2);
    expect(Object.keys(picked)).toEqual(['0', '1']);
  });
});
