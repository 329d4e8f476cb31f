/** The metrics' view of the list: read at once, or in slices for a scrape (same views). */
import { describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { destinationViews, destinationViewsInSlices } from '../../../src/stack/destination-views.js';
import { dispatcherOptions } from '../dispatcher/helpers.js';

describe('destinationViews', () => {
  it('gives set, uri, up, letters and call load; in slices the same, with turns of the event loop between', async () => {
    const d = new Dispatcher(dispatcherOptions());
    const lines = Array.from({ length: 5000 }, (_, i) => `${1 + (i % 7)} sip:10.1.${(i >> 8) & 255}.${i & 255}:5060 ${i % 4 === 0 ? 1 : 8}`);
    expect(d.load(lines.join('\n'), 'big.list').ok).toBe(true);
    const once = destinationViews(d);
    expect(once).toHaveLength(5000);
    expect(once.filter((v) => !v.up)).toHaveLength(1250);
    expect(new Set(once.map((v) => v.state))).toEqual(new Set(['IX', 'AP']));
    let turns = 0;
    let reading = true;
    const spin = (): void => {
      if (!reading) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const sliced = await destinationViewsInSlices(d, 500);
    reading = false;
    expect(sliced).toEqual(once);
    expect(turns).toBeGreaterThanOrEqual(9);
  });
});
