/**
 * RFC 7118 listeners on 127.0.0.1 with real `ws` clients: the sip subprotocol is required, Origin
 * and per-IP caps are checked before the upgrade, a payload over 64 KiB closes the connection, a
 * peer that stops answering pings is cut, and one SIP message travels per WebSocket message.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { TransportManagerOptions } from '../../../src/transport/transport-manager.js';
import { Harness, record, request, spec } from './support.js';

const harnesses: Harness[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  await Promise.all(harnesses.splice(0).map((h) => h.manager.close()));
});

async function start(websocket: Partial<TransportManagerOptions['websocket']> = {}): Promise<{ harness: Harness; url: string }> {
  const harness = await Harness.start({
    listen: [spec('udp:127.0.0.1:0'), spec('ws:127.0.0.1:0')],
    websocket: { origins: [], keepaliveIntervalMs: 0, keepaliveTimeoutMs: 1000, headerTimeoutMs: 2000, maxPerIp: 0, ...websocket },
  });
  harnesses.push(harness);
  return { harness, url: `ws://127.0.0.1:${harness.port('ws')}` };
}

/** The HTTP status an upgrade gets (or the open socket). */
function upgrade(url: string, protocols: string[] | undefined, headers: Record<string, string> = {}): Promise<{ status: number } | { socket: WebSocket }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, { headers });
    sockets.push(socket);
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res: http.IncomingMessage) => resolve({ status: res.statusCode ?? 0 }));
    socket.once('error', (e) => {
      if (!/Unexpected server response|socket hang up/.test(e.message)) reject(e);
    });
  });
}

describe('WebSocket transport (RFC 7118)', () => {
  it('refuses an upgrade without the sip subprotocol with 400, and counts it', async () => {
    const { url } = await start();
    const refused = record('ws.refused');
    try {
      expect(await upgrade(url, undefined)).toEqual({ status: 400 });
      expect(await upgrade(url, ['chat'])).toEqual({ status: 400 });
      expect(refused.events).toEqual([{ transport: 'ws', reason: 'subprotocol' }, { transport: 'ws', reason: 'subprotocol' }]);
    } finally {
      refused.stop();
    }
  });

  it('checks the Origin allow-list and the per-IP cap before the upgrade', async () => {
    const { url } = await start({ origins: ['https://phone.example.com'], maxPerIp: 1 });
    expect(await upgrade(url, ['sip'], { Origin: 'https://evil.example.net' })).toEqual({ status: 403 });
    const first = await upgrade(url, ['sip'], { Origin: 'https://phone.example.com' });
    expect('socket' in first).toBe(true);
    expect(await upgrade(url, ['sip'], { Origin: 'https://phone.example.com' })).toEqual({ status: 503 });
  });

  it('answers a plain HTTP request 426 Upgrade Required', async () => {
    const { url } = await start();
    const status = await new Promise<number>((resolve, reject) => http.get(url.replace('ws:', 'http:'), (res) => resolve(res.statusCode ?? 0)).on('error', reject));
    expect(status).toBe(426);
  });

  it('takes one SIP message per WebSocket message, text or binary, and answers on the same connection', async () => {
    const { harness, url } = await start();
    const opened = await upgrade(url, ['sip']);
    if (!('socket' in opened)) throw new Error('upgrade refused');
    opened.socket.send(request({ via: 'SIP/2.0/WS abc.invalid;branch=z9hG4bK-w1', callId: 'text' }).toString());
    opened.socket.send(request({ via: 'SIP/2.0/WS abc.invalid;branch=z9hG4bK-w2', callId: 'binary' }));
    const got = await harness.waitFor(2);
    expect(got.map((r) => r.message.callId).sort()).toEqual(['binary', 'text']);
    expect(got[0]!.source.transport).toBe('ws');
    expect(got[0]!.source.connectionId).toMatch(/^ws#\d+$/);
    // the transport's reply path reaches the client by connection id
    const answer = new Promise<string>((resolve) => opened.socket.once('message', (d) => resolve(d.toString())));
    harness.manager.send(Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'), { transport: 'ws', host: '127.0.0.1', port: 1, connectionId: got[0]!.source.connectionId });
    expect(await answer).toMatch(/^SIP\/2.0 200 OK/);
    expect(harness.manager.wsConnections()).toHaveLength(1);
    expect(harness.manager.wsConnections()[0]).toMatchObject({ transport: 'ws', messagesIn: 2, messagesOut: 1 });
  });

  it('closes a connection whose message is over 64 KiB (1009)', async () => {
    const { url } = await start();
    const opened = await upgrade(url, ['sip']);
    if (!('socket' in opened)) throw new Error('upgrade refused');
    const closed = new Promise<number>((resolve) => opened.socket.once('close', (code) => resolve(code)));
    opened.socket.send(Buffer.alloc(70_000, 0x41));
    expect(await closed).toBe(1009);
  });

  it('terminates a peer that stops answering pings after the pong timeout', async () => {
    const { harness, url } = await start({ keepaliveIntervalMs: 200, keepaliveTimeoutMs: 200 });
    // autoPong off: this client never answers our pings, as a dead browser tab would not
    const mute = new WebSocket(url, ['sip'], { autoPong: false });
    const alive = new WebSocket(url, ['sip']);
    sockets.push(mute, alive);
    await Promise.all([mute, alive].map((s) => new Promise((resolve) => s.once('open', resolve))));
    const closed = new Promise((resolve) => mute.once('close', resolve));
    await closed;
    await expect.poll(() => harness.manager.wsConnections().length).toBe(1);
    expect(harness.manager.stats().ws!.keepaliveClosed).toBeGreaterThanOrEqual(1);
    expect(alive.readyState).toBe(WebSocket.OPEN);
  });
});
