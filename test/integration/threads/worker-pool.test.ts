/**
 * WorkerPool's lifecycle with a stand-in worker script (test/fixtures/threads/crashing-worker.mjs),
 * on any Node: a worker that cannot start fails the start with WORKER_FAILED; the worker gets the
 * descriptor of the main thread's UDP socket; a crashed worker took the shared sockets with it, so
 * it is logged as fatal and the owner is told to end the process; drain() waits for every worker.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DispatcherAdapter } from '../../../src/stack/dispatcher-adapter.js';
import { createLogger } from '../../../src/stack/logging.js';
import { createDispatcher } from '../../../src/stack/create-dispatcher.js';
import { startSipStack, type SipStack } from '../../../src/stack/sip-stack.js';
import { WorkerPool } from '../../../src/threads/worker-pool.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { setBranchTag } from '../../../src/sip/build.js';
import { findUdpSocketFd } from '../../../src/transport/socket-fd.js';

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
  delete process.env.SIPDISPATCH_FIXTURE_OUT;
});

async function setup() {
  const config = await loadConfig({ listen: ['udp:127.0.0.1:0'], log_level: 'silent', drain_timeout: 0, workers: 2 });
  const dispatcher = createDispatcher(config);
  dispatcher.load('1 sip:127.0.0.1:5999\n', 'list');
  const log = capturingLogger();
  const stack: SipStack = await startSipStack(config, log.logger, new DispatcherAdapter(dispatcher, { useDefault: false, hashFailover: 'neighbour' }), {
    listen: config.listenSpecs,
  });
  cleanups.push(() => stack.stop());
  const lost: Array<{ worker: number; reason: string }> = [];
  const pool = new WorkerPool({ config, threads: 2, dispatcher, logger: log.logger, workerUrl: FIXTURE, onLostSockets: (worker, reason) => lost.push({ worker, reason }) });
  return { dispatcher, stack, pool, log, lost };
}

describe('WorkerPool lifecycle', () => {
  it('fails the start with WORKER_FAILED naming the worker when one cannot start', async () => {
    process.env.SIPDISPATCH_FIXTURE_FAIL = '1';
    const { stack, pool } = await setup();
    await expect(pool.start(stack)).rejects.toMatchObject({ code: 'WORKER_FAILED', message: 'worker 1: cannot bind for worker 1' });
  });

  it('gives the worker the descriptor of the UDP socket the main thread bound, and drains it', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sipdispatch-pool-')), 'fixture.jsonl');
    process.env.SIPDISPATCH_FIXTURE_OUT = out;
    const { stack, pool } = await setup();
    cleanups.push(() => pool.stop());
    await pool.start(stack);
    await pool.drain();
    const udp = stack.transport.addresses().find((a) => a.transport === 'udp')!;
    const notes = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    expect(notes).toEqual([
      { started: 1, listen: [{ transport: 'udp', host: '127.0.0.1', port: udp.port, family: 4, fd: findUdpSocketFd('127.0.0.1', udp.port, 4) }] },
      { drained: 1 },
    ]);
  });

  it('a crashed worker is fatal: the shared sockets are gone, and the owner is told to end the process', async () => {
    const { dispatcher, stack, pool, log, lost } = await setup();
    cleanups.push(() => pool.stop());
    await pool.start(stack);
    expect(pool.handoffs()).toEqual([0, 0]);

    dispatcher.setState(1, 'all', 'ip');
    const fatal = await log.lineWith('worker thread exited: the UDP sockets all threads read are closed with it');
    expect(fatal).toMatchObject({ level: 'fatal', worker: 1, code: 1 });
    expect(await log.lineWith('worker thread crashed')).toMatchObject({ level: 'error', worker: 1, err: { message: 'crash on purpose' } });
    expect(lost).toEqual([{ worker: 1, reason: 'worker thread 1 exited with code 1' }]);
  });
});
