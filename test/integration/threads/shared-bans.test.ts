/**
 * `--workers 2`: a ban one thread makes is applied by every thread, and a lift by the admin API
 * reaches every thread (and ends the shared pike table's hold at once). Pike counts a request on
 * the thread that owns its Call-ID (after the handover), in the table all threads share, so
 * Call-IDs chosen for each thread decide, deterministically, where the ban is made and where it
 * must also hold.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datagramOwner } from '../../../src/threads/thread-router.js';
import { canShareUdpSockets } from '../../../src/transport/socket-fd.js';
import { startSipdispatch, type SipdispatchProcess } from '../../support/sipdispatch-process.js';

const SOURCE = '127.0.0.77';

function ping(callId: string, port: number): Buffer {
  return Buffer.from(
    `OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP ${SOURCE}:${port};branch=z9hG4bK-${callId};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:scan@${SOURCE}>;tag=${callId}\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
}

/** Call-IDs whose datagrams thread `thread` of 2 owns. */
function callIdsOf(thread: number, count: number, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (datagramOwner(ping(`${prefix}-${i}`, 1), 2) === thread) out.push(`${prefix}-${i}`);
  return out;
}

describe.skipIf(!canShareUdpSockets())('bans shared between worker threads', () => {
  let proxy: SipdispatchProcess;
  let socket: dgram.Socket;
  const answered = new Set<string>();

  beforeAll(async () => {
    proxy = await startSipdispatch({
      list: '1 sip:127.0.0.1:9 0 0\n',
      transports: ['udp'],
      args: ['--workers', '2'],
      config: 'reqs_density_per_unit: 3\nsampling_time_unit: 60\nban_expire: 60\n',
    });
    socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, SOURCE, resolve));
    socket.on('message', (m) => {
      const id = /Call-ID: (\S+)/i.exec(m.toString())?.[1];
      if (id) answered.add(id);
    });
  }, 30_000);

  afterAll(async () => {
    socket?.close();
    await proxy?.stop();
  });

  /** Sends one ping and waits (bounded) for its answer; true when it came. */
  async function pingAnswered(callId: string, waitMs = 600): Promise<boolean> {
    socket.send(ping(callId, socket.address().port), proxy.sipPort, '127.0.0.1');
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && !answered.has(callId)) await new Promise((r) => setTimeout(r, 20));
    return answered.has(callId);
  }

  it('a ban made on the worker thread silences the source on the main thread too, and a lift reaches both', async () => {
    const onWorker = callIdsOf(1, 6, 'w');
    const onMain = callIdsOf(0, 3, 'm');
    // the worker counts these: 3 within the window pass, the 4th is over the density and bans
    const results: boolean[] = [];
    for (const id of onWorker.slice(0, 4)) results.push(await pingAnswered(id));
    expect(results).toEqual([true, true, true, false]);
    // the main thread has counted nothing from this source, yet drops it: the ban was shared
    await new Promise((r) => setTimeout(r, 200));
    for (const id of onMain) expect(await pingAnswered(id, 400)).toBe(false);
    const dump = await proxy.rpc('htable.dump', ['ipban']);
    expect(dump.result).toEqual([expect.objectContaining({ name: SOURCE, reason: 'pike' })]);

    // the admin API lifts it on the main thread, and the worker lifts it too
    expect((await proxy.rpc('htable.delete', ['ipban', SOURCE])).result).toBe('Ok.');
    await new Promise((r) => setTimeout(r, 200));
    expect(await pingAnswered(onWorker[4]!)).toBe(true);
  }, 30_000);
});
