import { describe, expect, it } from 'vitest';
import { nodeHasReusePort } from '../../../src/transport/reuse-port.js';

describe('UDP reusePort detection', () => {
  it.each([
    ['20.19.0', false],
    ['22.11.0', false],
    ['22.12.0', true],
    ['23.0.0', false],
    ['23.1.0', true],
    ['24.0.0', true],
    ['26.1.0', true],
  ])('node %s → %s', (version, expected) => {
    expect(nodeHasReusePort(version)).toBe(expected);
  });
});
