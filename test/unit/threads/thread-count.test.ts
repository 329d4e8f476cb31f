import { describe, expect, it } from 'vitest';
import { threadCount } from '../../../src/threads/thread-count.js';

const linux = { cores: 2, sharedSockets: true, platform: 'linux', udpListeners: 1 };

describe('threadCount', () => {
  it('runs one thread without a word when one is asked for', () => {
    expect(threadCount(1, linux)).toEqual({ threads: 1, warning: undefined });
    expect(threadCount(1, { ...linux, sharedSockets: false })).toEqual({ threads: 1, warning: undefined });
  });

  it.each([2, 4])('runs the %i threads asked for where the UDP sockets can be shared', (n) => {
    expect(threadCount(n, linux)).toEqual({ threads: n, warning: undefined });
  });

  it('falls back to one thread where /proc shows no socket, and says why', () => {
    const d = threadCount(4, { cores: 4, sharedSockets: false, platform: 'darwin', udpListeners: 1 });
    expect(d).toEqual({ threads: 1, warning: 'workers: 4 shares the UDP sockets between threads through /proc (Linux); darwin has none: running 1 thread' });
  });

  it('falls back when no UDP listener is configured (TCP stays on the main thread)', () => {
    expect(threadCount(2, { ...linux, udpListeners: 0 })).toEqual({ threads: 1, warning: expect.stringContaining('none is configured') });
  });

  it.each([
    [1, 1],
    [2, 2],
    [6, 6],
    [32, 8],
  ])('auto on %i cores runs %i threads', (cores, threads) => {
    expect(threadCount('auto', { ...linux, cores })).toEqual({ threads, warning: undefined });
  });

  it('auto runs one thread without a warning where the sockets cannot be shared or no UDP listener exists', () => {
    expect(threadCount('auto', { ...linux, cores: 4, sharedSockets: false })).toEqual({ threads: 1, warning: undefined });
    expect(threadCount('auto', { ...linux, cores: 4, udpListeners: 0 })).toEqual({ threads: 1, warning: undefined });
  });
});
