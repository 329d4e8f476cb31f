/**
 * The prober over real UDP on 127.0.0.1: our TransportManager and TransactionLayer on one side, a
 * tiny dgram responder answering OPTIONS with 200 on the other. When the responder goes quiet the
 * destination goes down (AP → IP); when it answers again it comes back (IP → AP). Real time with
 * small timers; every wait is on an event and bounded; nothing asserts on timing.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import type { HealthConfig } from '../../../src/dispatcher/health.js';
import { Prober } from '../../../src/probe/prober.js';
import { subscribe, type EventName, type EventPayloads } from '../../../src/shared/events.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { systemScheduler } from '../../../src/shared/scheduler.js';
import { buildResponse } from '../../../src/sip/build.js';
import { parseMessage } from '../../../src/sip/parse-message.js';
import { serialize } from '../../../src/sip/serialize.js';
import { TransactionLayer } from '../../../src/transaction/transaction-layer.js';
import { timerValues } from '../../../src/transaction/timers.js';
import { TransportManager } from '../../../src/transport/transport-manager.js';
import { baseOptions, spec } from '../transport/support.js';

const WAIT_MS = 5000;

/** Answers OPTIONS with 200 while `answering` is true; counts what it receives. */
class Responder {
  answering = true;
  received = 0;

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (bytes, rinfo) => {
      this.received++;
      const parsed = parseMessage(bytes);
      if (!this.answering || !parsed.ok || parsed.message.kind !== 'request' || parsed.message.method !== 'OPTIONS') return;
      socket.send(serialize(buildResponse(parsed.message, 200, 'OK')), rinfo.port, rinfo.address);
    });
  }

  static async open(): Promise<Responder> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new Responder(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }
}

/** The first `name` event matching `accept`, or a rejection after WAIT_MS. */
function next<N extends EventName>(name: N, accept: (e: EventPayloads[N]) => boolean): Promise<EventPayloads[N]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no matching ${name} event within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const stop = subscribe(name, (e) => {
      if (!accept(e)) return;
      clearTimeout(timer);
      stop();
      resolve(e);
    });
  });
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

it('a destination that stops answering goes AP → IP, and comes back to AP when it answers again', async () => {
  const responder = await Responder.open();
  cleanups.push(() => {
    responder.socket.close();
  });

  const manager = new TransportManager({ ...baseOptions, listen: [spec('udp:127.0.0.1:0')] }, { scheduler: systemScheduler, logger: silentLogger });
  const timers = timerValues({ t1: 100, t2: 400, t4: 500, frTimer: 1000, frInvTimer: 2000 });
  const layer = new TransactionLayer({ transport: manager, scheduler: systemScheduler, timers, logger: silentLogger });
  manager.onMessage((msg) => {
    if (msg.kind === 'response') layer.receiveResponse(msg);
  });
  await manager.start();
  cleanups.push(() => manager.close(), () => layer.close());
  const local = manager.localAddressFor('udp');

  const health: HealthConfig = { probingMode: 1, probingThreshold: 1, inactiveThreshold: 1, replyCodes: { codes: [], classes: [] } };
  const dispatcher = new Dispatcher({
    listMode: 'strict',
    keepStateOnReload: true,
    health,
    latency: { enabled: true, alpha: 0.9 },
    traffic: { threshold: 5, maxEjectionPercent: 50 },
    callLoad: { expireMs: 60_000, initExpireMs: 10_000 },
    pingActive: true,
    now: () => Date.now(),
    random: Math.random,
  });
  const uri = `sip:127.0.0.1:${responder.port}`;
  expect(dispatcher.load(`1 ${uri} 8`, 'test.list').ok).toBe(true);

  const prober = new Prober(
    { intervalMs: 200, method: 'OPTIONS', from: 'sip:dispatcher@localhost', frTimerMs: 300, concurrency: 4, health },
    {
      dispatcher,
      transactions: layer,
      scheduler: systemScheduler,
      localVia: (t, branch) => `SIP/2.0/${t.toUpperCase()} ${local.host}:${local.port};branch=${branch};rport`,
      resolve: (host) => host,
      logger: silentLogger,
    },
  );
  cleanups.push(() => prober.stop(1000));

  const answered = next('probe.result', (e) => e.uri === uri && e.code === 200);
  prober.start();
  expect(await answered).toMatchObject({ set: '1', ok: true, timeout: false });

  const down = next('destination.state', (e) => e.uri === uri && !e.initial && e.state === 'IP');
  responder.answering = false;
  expect(await down).toMatchObject({ previous: 'AP', up: false, changed: true, code: 408 });

  const up = next('destination.state', (e) => e.uri === uri && e.state === 'AP');
  responder.answering = true;
  expect(await up).toMatchObject({ previous: 'IP', up: true, changed: true, code: 200 });
  const view = dispatcher.list()[0]?.destinations[0];
  expect(view?.state).toBe('AP');
  expect(view?.latency.timeout).toBeGreaterThanOrEqual(1);
  expect(view?.latency.count).toBeGreaterThanOrEqual(2);
});
