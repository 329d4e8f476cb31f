/**
 * Auth-failure bans through the real CLI: a registrar in the test answers 403 to wrong
 * credentials; the source guessing passwords is banned after its 5th failure (then gets silence),
 * while another phone registers throughout.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/sip/parse-message.js';
import type { SipRequest } from '../../../src/sip/message.js';
import { header, responseTo } from '../../support/sip-peer.js';
import { freeLoopbackPort } from '../../support/sipp.js';
import { metricValue, startSipdispatch, type SipdispatchProcess } from '../../support/sipdispatch-process.js';

function parse(bytes: Buffer): SipRequest {
  const r = parseMessage(bytes, { maxSize: 65536 });
  if (!r.ok || r.message.kind !== 'request') throw new Error('the proxy sent something unparseable');
  return r.message;
}

/** A registrar: 401 without Authorization, 403 for response="bad", else 200. */
async function registrar(port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, rinfo) => {
    const req = parse(m);
    const auth = header(req, 'authorization');
    const answer =
      auth === undefined ? responseTo(req, 401, 'Unauthorized', { toTag: 'reg', extra: ['WWW-Authenticate: Digest realm="test", nonce="n1"'] })
      : auth.includes('response="bad"') ? responseTo(req, 403, 'Forbidden', { toTag: 'reg' })
      : responseTo(req, 200, 'OK', { toTag: 'reg' });
    s.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  return s;
}

async function phone(address: string) {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, r));
  let seq = 0;
  return {
    /** Sends one REGISTER and resolves with the status of its final answer, or 0 after a second of silence. */
    register(proxyPort: number, response: string): Promise<number> {
      seq++;
      const me = `${address}:${s.address().port}`;
      const req =
        `REGISTER sip:127.0.0.1:${proxyPort} SIP/2.0\r\nVia: SIP/2.0/UDP ${me};branch=z9hG4bK-r${seq}-${address}\r\nMax-Forwards: 70\r\n` +
        `From: <sip:1000@127.0.0.1>;tag=${address}\r\nTo: <sip:1000@127.0.0.1>\r\nCall-ID: reg-${address}\r\nCSeq: ${seq} REGISTER\r\nContact: <sip:1000@${me}>\r\n` +
        `Authorization: Digest username="1000", realm="test", nonce="n1", uri="sip:127.0.0.1", response="${response}"\r\nContent-Length: 0\r\n\r\n`;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          s.off('message', onMessage);
          resolve(0);
        }, 1000);
        const onMessage = (m: Buffer) => {
          const status = Number(m.toString().split(' ')[1]);
          if (status < 200) return;
          clearTimeout(timer);
          s.off('message', onMessage);
          resolve(status);
        };
        s.on('message', onMessage);
        s.send(req, proxyPort, '127.0.0.1');
      });
    },
    close: () => s.close(),
  };
}

describe('auth-failure bans', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('bans a password guesser after its 5th failure while another phone registers throughout', async () => {
    const regPort = await freeLoopbackPort();
    const reg = await registrar(regPort);
    cleanup.push(() => reg.close());
    const proxy: SipdispatchProcess = await startSipdispatch({ list: `1 sip:127.0.0.1:${regPort} 0 0\n`, config: 'ds_ping_interval: 0\nfr_timer: 500\n', transports: ['udp'] });
    cleanup.push(() => proxy.stop());
    const guesser = await phone('127.0.0.66');
    const good = await phone('127.0.0.67');
    cleanup.push(() => guesser.close(), () => good.close());

    const guesses: number[] = [];
    const goods: number[] = [];
    for (let i = 0; i < 7; i++) {
      guesses.push(await guesser.register(proxy.sipPort, 'bad'));
      goods.push(await good.register(proxy.sipPort, 'good'));
    }
    expect(guesses).toEqual([403, 403, 403, 403, 403, 0, 0]);
    expect(goods).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(proxy.output()).toMatch(/"msg":"authban blocking 127\.0\.0\.66 after 5 auth failures"/);
    expect((await proxy.rpc('htable.dump', ['ipban'])).result).toEqual([expect.objectContaining({ name: '127.0.0.66', reason: 'authban' })]);
    expect(metricValue(await proxy.metrics(), 'sipdispatch_dropped_total', { reason: 'banned' })).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
