/**
 * heap_growth: auto through the real core on loopback: requests from more than CHURN_SOURCES
 * distinct sources (127.x.y.z, bound in turn) make pike's table churn, and the main thread switches
 * V8 to compact old-generation growth and logs it; one source sending as many does not.
 */
import dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startCore, type AppCore } from '../../../src/app/core.js';
import { createDispatcher, loadList } from '../../../src/stack/create-dispatcher.js';
import { CHURN_SOURCES, setV8HeapGrowth } from '../../../src/stack/heap-growth.js';
import { loopbackAppConfig } from '../../support/test-proxy.js';

const COMPACT = 'heap: compact growth while sources churn';

function options(n: number): Buffer {
  return Buffer.from(
    [
      `OPTIONS sip:probe${n}@example.com SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK-churn-${n}`,
      'Max-Forwards: 70',
      `From: <sip:scan@example.com>;tag=c${n}`,
      `To: <sip:probe${n}@example.com>`,
      `Call-ID: churn-${n}@test`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

/** One datagram from `address` to the proxy. */
async function sendFrom(address: string, port: number, bytes: Buffer): Promise<void> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  await new Promise<void>((resolve, reject) => socket.send(bytes, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  socket.close();
}

async function startWithLog(): Promise<{ core: AppCore; port: number; lines: string[]; stop: () => Promise<void> }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  // the farm is a port nobody answers on: the flood's requests time out, as in a silent farm
  const farm = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => farm.bind(0, '127.0.0.1', () => resolve()));
  const { config, listFile } = await loopbackAppConfig('sipdispatch-heap-growth-', `1 sip:127.0.0.1:${farm.address().port} 0 0\n`, { workers: 1, log_level: 'info' });
  const dispatcher = createDispatcher(config);
  await loadList(dispatcher, listFile);
  const core = await startCore(config, pino({ level: 'info' }, sink), dispatcher);
  const port = core.transport.addresses().find((a) => a.transport === 'udp')!.port;
  const stop = async (): Promise<void> => {
    await core.stop();
    farm.close();
  };
  return { core, port, lines, stop };
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  return check();
}

describe('heap_growth: auto', () => {
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()));
    setV8HeapGrowth(false);
  });

  it('switches to compact growth when more than CHURN_SOURCES sources appear, and logs it', async () => {
    const { core, port, lines, stop } = await startWithLog();
    stops.push(stop);
    for (let n = 0; n < CHURN_SOURCES + 50; n++) await sendFrom(`127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`, port, options(n));
    expect(await waitFor(() => core.edge.sourcesSeen >= CHURN_SOURCES, 5000)).toBe(true);
    expect(await waitFor(() => lines.some((l) => l.includes(COMPACT)), 5000)).toBe(true);
    const line = JSON.parse(lines.find((l) => l.includes(COMPACT))!) as { heapGrowth: string; newSources: number };
    expect(line.heapGrowth).toBe('25 %');
    expect(line.newSources).toBeGreaterThanOrEqual(CHURN_SOURCES);
  });

  it('one source sending as many requests is no churn (pike bans it; the heap keeps its growth)', async () => {
    const { core, port, lines, stop } = await startWithLog();
    stops.push(stop);
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.5', () => resolve()));
    for (let n = 0; n < CHURN_SOURCES + 50; n++) await new Promise<void>((resolve) => socket.send(options(n), port, '127.0.0.1', () => resolve()));
    socket.close();
    // two of the controller's one-second samples after the last request
    await new Promise((r) => setTimeout(r, 2200));
    expect(core.edge.sourcesSeen).toBe(1);
    expect(lines.some((l) => l.includes(COMPACT))).toBe(false);
  });
});
