import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // e2e suites start real processes on fixed loopback ports: keep files from racing each other
    fileParallelism: true,
    pool: 'forks',
  },
  bench: {
    include: ['bench/**/*.bench.ts'],
  },
});
