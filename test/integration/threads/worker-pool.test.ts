/**
 * WorkerPool's lifecycle with a stand-in worker script (test/fixtures/app/crashing-worker.mjs), on
 * any Node: a worker that cannot start fails the start with WORKER_FAILED; a crashed worker is
 * logged as an error and restarted at once, a second crash within a minute waits for the minute;
 * stop() ends everything, pending restarts included.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DispatcherAdapter } from '../../../src/stack/dispatcher-adapter.js';
import { createLogger } from '../../../src/stack/logging.js';
import { createDispatcher } from '../../../src/stack/create-dispatcher.js';
import { startSipStack, type SipStack } from '../../../src/stack/sip-stack.js';
import { WorkerPool } from '../../../src/threads/worker-pool.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { setBranchTag } from '../../../src/sip/build.js';

const FIXTURE = new URL('../../fixtures/threads/crashing-worker.mjs', import.meta.url);

/** A logger whose JSON lines the test can wait for. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      for (const wake of waiters.splice(0)) wake();
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination: stream });
  const lineWith = async (msg: string, nth = 1): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = lines.filter((l) => l.msg === msg);
      if (found.length >= nth) return found[nth - 1]!;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { logger, lines, lineWith };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  setBranchTag('');
  delete process.env.SIPDISPATCH_FIXTURE_FAIL;
});

async function setup() {
  const config = await loadConfig({ listen: ['udp:127.0.0.1:0'], log_level: 'silent', drain_timeout: 0, workers: 2 });
  const dispatcher = createDispatcher(config);
  dispatcher.load('1 sip:127.0.0.1:5999\n', 'list');
  const log = capturingLogger();
  const stack: SipStack = await startSipStack(config, log.logger, new DispatcherAdapter(dispatcher, { useDefault: false, hashFailover: 'neighbour' }), {
    listen: config.listenSpecs,
    reusePort: false,
  });
  cleanups.push(() => stack.stop());
  const pool = new WorkerPool({ config, threads: 2, dispatcher, logger: log.logger, workerUrl: FIXTURE });
  return { dispatcher, stack, pool, log };
}

describe('WorkerPool lifecycle', () => {
  it('fails the start with WORKER_FAILED naming the worker when one cannot start', async () => {
    process.env.SIPDISPATCH_FIXTURE_FAIL = '1';
    const { stack, pool } = await setup();
    await expect(pool.start(stack)).rejects.toMatchObject({ code: 'WORKER_FAILED', message: 'worker 1: cannot bind for worker 1' });
  });

  it('restarts a crashed worker at once, a second crash only a minute after the restart, and stop() cancels that', async () => {
    const { dispatcher, stack, pool, log } = await setup();
    cleanups.push(() => pool.stop());
    await pool.start(stack);
    expect(pool.handoffs()).toEqual([0, 0]);

    dispatcher.setState(1, 'all', 'ip');
    const first = await log.lineWith('worker thread exited; restarting it');
    expect(first).toMatchObject({ level: 'error', worker: 1, restartInMs: 0 });
    expect(await log.lineWith('worker thread crashed')).toMatchObject({ level: 'error', worker: 1, err: { message: 'crash on purpose' } });
    await log.lineWith('worker thread restarted');

    dispatcher.setState(1, 'all', 'ap');
    const second = await log.lineWith('worker thread exited; restarting it', 2);
    expect(second.restartInMs).toBeGreaterThan(50_000);
    await pool.stop();
    expect(log.lines.filter((l) => l.msg === 'worker thread restarted')).toHaveLength(1);
  });
});
