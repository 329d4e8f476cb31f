import { describe, expect, it } from 'vitest';
import { threadCount } from '../../../src/threads/thread-count.js';
import { nodeHasReusePort } from '../../../src/transport/reuse-port.js';

const linux = (nodeVersion: string) => ({ reusePort: nodeHasReusePort(nodeVersion), nodeVersion, platform: 'linux', udpListeners: 1 });

describe('threadCount', () => {
  it('runs one thread without a word when one is asked for', () => {
    expect(threadCount(1, linux('20.20.2'))).toEqual({ threads: 1, warning: undefined });
    expect(threadCount(1, linux('22.12.0'))).toEqual({ threads: 1, warning: undefined });
  });

  it.each([
    ['22.12.0', 2],
    ['23.1.0', 4],
    ['24.0.0', 2],
  ])('runs the threads asked for on Node %s', (version, n) => {
    expect(threadCount(n, linux(version))).toEqual({ threads: n, warning: undefined });
  });

  it.each(['20.20.2', '22.11.0', '23.0.0'])('falls back to one thread on Node %s and says which Node it is', (version) => {
    const d = threadCount(2, linux(version));
    expect(d.threads).toBe(1);
    expect(d.warning).toBe(`workers: 2 needs UDP reusePort (Node >= 22.12 or 23.1, on Linux); Node ${version} on linux has none: running 1 thread`);
  });

  it('falls back on a platform without reusePort, whatever the version', () => {
    const d = threadCount(4, { reusePort: false, nodeVersion: '24.1.0', platform: 'darwin', udpListeners: 1 });
    expect(d).toEqual({ threads: 1, warning: expect.stringContaining('Node 24.1.0 on darwin has none') });
  });

  it('falls back when no UDP listener is configured (TCP stays on the main thread)', () => {
    expect(threadCount(2, { ...linux('22.12.0'), udpListeners: 0 })).toEqual({ threads: 1, warning: expect.stringContaining('none is configured') });
  });
});
