/**
 * The state-change webhook against a real node:http server on 127.0.0.1 (port 0): which events are
 * posted, the payload, retries after a 500, giving up, the full queue, and close(). Waits are on
 * requests arriving, each bounded; backoffs are a few milliseconds of real time.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookNotifier, type WebhookNotifierOptions, type WebhookPayload } from '../../../src/notify/webhook-notifier.js';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { publish, type DestinationStateEvent } from '../../../src/shared/events.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { systemScheduler } from '../../../src/shared/scheduler.js';

const WAIT_MS = 5000;

/** A webhook receiver: answers each request with the next status of `statuses` (then 200), or holds it. */
class Receiver {
  readonly bodies: WebhookPayload[] = [];
  readonly contentTypes: string[] = [];
  statuses: number[] = [];
  hold = false;
  private held: Array<() => void> = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly server: http.Server) {
    server.on('request', (req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        this.bodies.push(JSON.parse(text) as WebhookPayload);
        this.contentTypes.push(req.headers['content-type'] ?? '');
        const answer = (): void => void res.writeHead(this.statuses.shift() ?? 200).end('{}');
        if (this.hold) this.held.push(answer);
        else answer();
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  static async open(): Promise<Receiver> {
    const server = http.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new Receiver(server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Resolves once `count` requests have arrived; rejects after WAIT_MS. */
  async waitFor(count: number): Promise<WebhookPayload[]> {
    const deadline = Date.now() + WAIT_MS;
    while (this.bodies.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.bodies.length} of ${count} webhook requests arrived`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, WAIT_MS);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.bodies;
  }

  release(): void {
    this.hold = false;
    for (const answer of this.held.splice(0)) answer();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(over: Partial<WebhookNotifierOptions> = {}): Promise<{ receiver: Receiver; notifier: WebhookNotifier }> {
  const receiver = await Receiver.open();
  cleanups.push(() => receiver.close());
  const notifier = new WebhookNotifier({
    url: receiver.url,
    retries: 3,
    queueSize: 10,
    backoffMs: 5,
    scheduler: systemScheduler,
    logger: silentLogger,
    now: () => Date.UTC(2026, 10, 26, 12, 0, 0),
    ...over,
  });
  notifier.start();
  cleanups.push(() => notifier.close(1000));
  return { receiver, notifier };
}

let seq = 0;
function change(over: Partial<DestinationStateEvent> = {}): DestinationStateEvent {
  seq++;
  return { set: '1', uri: `sip:gw${seq}.test`, duid: null, state: 'IP', previous: 'AP', up: false, changed: true, initial: false, code: 408, reason: 'Request Timeout', at: 0, ...over };
}

describe('what is posted', () => {
  it('posts dst-down and dst-up for real usability changes only, with the payload', async () => {
    const { receiver, notifier } = await setup();
    publish('destination.state', change({ initial: true, changed: true, previous: null, state: 'AP', up: true }));
    // a reload reports the kept destinations' state as initial too, with their previous state
    publish('destination.state', change({ initial: true, changed: true, previous: 'IP', state: 'AP', up: true }));
    publish('destination.state', change({ state: 'TP', previous: 'AP', up: true, changed: false }));
    publish('destination.state', change({ uri: 'sip:down.test', duid: 'gw-a', code: 503, reason: 'Service Unavailable' }));
    publish('destination.state', change({ uri: 'sip:up.test', state: 'AP', previous: 'IP', up: true, code: 200, reason: 'OK' }));
    const bodies = await receiver.waitFor(2);
    await notifier.close(1000);
    expect(bodies).toEqual([
      { event: 'dst-down', set: '1', uri: 'sip:down.test', duid: 'gw-a', code: 503, reason: 'Service Unavailable', at: '2026-11-26T12:00:00.000Z' },
      { event: 'dst-up', set: '1', uri: 'sip:up.test', duid: null, code: 200, reason: 'OK', at: '2026-11-26T12:00:00.000Z' },
    ]);
    expect(receiver.contentTypes).toEqual(['application/json', 'application/json']);
    expect(notifier.stats).toEqual({ sent: 2, failed: 0, dropped: 0, queued: 0 });
  });

  it('says what changed the state: a traffic mark is posted with trigger traffic', async () => {
    const { receiver, notifier } = await setup();
    publish('destination.state', change({ uri: 'sip:busy.test', code: 408, reason: 'traffic: 5 consecutive timeouts', trigger: 'traffic' }));
    publish('destination.state', change({ uri: 'sip:dead.test', trigger: 'probe' }));
    const bodies = await receiver.waitFor(2);
    await notifier.close(1000);
    expect(bodies.map((b) => [b.uri, b.trigger, b.reason])).toEqual([
      ['sip:busy.test', 'traffic', 'traffic: 5 consecutive timeouts'],
      ['sip:dead.test', 'probe', 'Request Timeout'],
    ]);
  });

  it('hears the dispatcher: nothing for the initial states of a load or reload, dst-down when a destination is made inactive', async () => {
    const { receiver } = await setup();
    const dispatcher = new Dispatcher({
      listMode: 'strict',
      keepStateOnReload: true,
      health: { probingMode: 1, probingThreshold: 1, inactiveThreshold: 1, replyCodes: { codes: [], classes: [] } },
      traffic: { threshold: 5, maxEjectionPercent: 50 },
      latency: { enabled: false, alpha: 0.9 },
      callLoad: { expireMs: 60_000, initExpireMs: 10_000 },
      pingActive: true,
      now: () => Date.now(),
      random: Math.random,
    });
    expect(dispatcher.load('1 sip:a.test 0 0 duid=a\n1 sip:b.test 0', 'test.list').ok).toBe(true);
    expect(dispatcher.reload('1 sip:a.test 0 0 duid=a', 'test.list').ok).toBe(true);
    expect(dispatcher.setState(1, { uri: 'sip:a.test' }, 'i').ok).toBe(true);
    const [body] = await receiver.waitFor(1);
    expect(body).toMatchObject({ event: 'dst-down', set: '1', uri: 'sip:a.test', duid: 'a' });
    expect(receiver.bodies).toHaveLength(1);
  });
});

describe('delivery', () => {
  it('retries after a 500 and delivers on the next attempt', async () => {
    const { receiver, notifier } = await setup();
    receiver.statuses = [500];
    publish('destination.state', change());
    const bodies = await receiver.waitFor(2);
    await notifier.close(1000);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(notifier.stats).toMatchObject({ sent: 1, failed: 0 });
  });

  it('gives up after webhook_retries, then goes on with the next event', async () => {
    const { receiver, notifier } = await setup({ retries: 2 });
    receiver.statuses = [500, 503, 502];
    publish('destination.state', change({ uri: 'sip:first.test' }));
    publish('destination.state', change({ uri: 'sip:second.test' }));
    const bodies = await receiver.waitFor(4);
    await notifier.close(1000);
    expect(bodies.map((b) => b.uri)).toEqual(['sip:first.test', 'sip:first.test', 'sip:first.test', 'sip:second.test']);
    expect(notifier.stats).toMatchObject({ sent: 1, failed: 1 });
  });

  it('does not retry an event the receiver refuses with a 4xx', async () => {
    const { receiver, notifier } = await setup();
    receiver.statuses = [400];
    publish('destination.state', change({ uri: 'sip:bad.test' }));
    publish('destination.state', change({ uri: 'sip:good.test' }));
    const bodies = await receiver.waitFor(2);
    await notifier.close(1000);
    expect(bodies.map((b) => b.uri)).toEqual(['sip:bad.test', 'sip:good.test']);
    expect(notifier.stats).toMatchObject({ sent: 1, failed: 1 });
  });

  it('survives a receiver that is not there', async () => {
    const gone = await Receiver.open();
    const url = gone.url;
    await gone.close();
    const { notifier } = await setup({ url, retries: 1 });
    publish('destination.state', change());
    await notifier.close(WAIT_MS);
    expect(notifier.stats).toMatchObject({ sent: 0, failed: 1, dropped: 0 });
  });
});

describe('queue', () => {
  it('when full drops the oldest waiting event and counts it', async () => {
    const { receiver, notifier } = await setup({ queueSize: 2 });
    receiver.hold = true;
    publish('destination.state', change({ uri: 'sip:1.test' }));
    await receiver.waitFor(1);
    for (const n of [2, 3, 4]) publish('destination.state', change({ uri: `sip:${n}.test` }));
    expect(notifier.stats).toMatchObject({ dropped: 1, queued: 2 });
    receiver.release();
    const bodies = await receiver.waitFor(3);
    await notifier.close(1000);
    expect(bodies.map((b) => b.uri)).toEqual(['sip:1.test', 'sip:3.test', 'sip:4.test']);
    expect(notifier.stats).toEqual({ sent: 3, failed: 0, dropped: 1, queued: 0 });
  });

  it('close() flushes what is queued', async () => {
    const { receiver, notifier } = await setup();
    for (const n of [1, 2, 3]) publish('destination.state', change({ uri: `sip:${n}.test` }));
    await notifier.close(WAIT_MS);
    expect(receiver.bodies.map((b) => b.uri)).toEqual(['sip:1.test', 'sip:2.test', 'sip:3.test']);
    publish('destination.state', change({ uri: 'sip:after-close.test' }));
    expect(notifier.stats).toEqual({ sent: 3, failed: 0, dropped: 0, queued: 0 });
  });

  it('close() gives up after its bound on a receiver that never answers, dropping what is left', async () => {
    const { receiver, notifier } = await setup();
    receiver.hold = true;
    for (const n of [1, 2]) publish('destination.state', change({ uri: `sip:${n}.test` }));
    await receiver.waitFor(1);
    await notifier.close(50);
    expect(notifier.stats).toEqual({ sent: 0, failed: 0, dropped: 2, queued: 0 });
  });
});
