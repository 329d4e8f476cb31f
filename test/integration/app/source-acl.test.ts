/**
 * Source ACL through the real CLI: INVITEs toward the farm only from the carriers group, REGISTER
 * from anywhere; a reload of the address file takes effect for the next request, a bad file keeps
 * the old table.
 */
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMessage } from '../../../src/sip/parse-message.js';
import { header, responseTo } from '../../support/sip-peer.js';
import { freeLoopbackPort } from '../../support/sipp.js';
import { metricValue, startSipdispatch, waitFor, type SipdispatchProcess } from '../../support/sipdispatch-process.js';

/** The farm: counts requests by method and answers each with a final response (INVITE 486). */
async function backend(port: number) {
  const s = dgram.createSocket('udp4');
  const seen: string[] = [];
  s.on('message', (m, rinfo) => {
    const r = parseMessage(m, { maxSize: 65536 });
    if (!r.ok || r.message.kind !== 'request' || r.message.method === 'ACK') return;
    const req = r.message;
    seen.push(`${req.method} ${header(req, 'x-who')}`);
    s.send(req.method === 'INVITE' ? responseTo(req, 486, 'Busy Here', { toTag: 'b' }) : responseTo(req, 200, 'OK', { toTag: 'b' }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  return { seen, close: () => s.close() };
}

async function client(address: string) {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, r));
  const answers: string[] = [];
  s.on('message', (m) => answers.push(m.toString().split('\r\n')[0]!));
  let n = 0;
  return {
    answers,
    send(method: string, port: number) {
      n++;
      const me = `${address}:${s.address().port}`;
      s.send(
        `${method} sip:1000@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP ${me};branch=z9hG4bK-acl${n}-${address}\r\nMax-Forwards: 70\r\nFrom: <sip:a@${address}>;tag=${n}\r\n` +
          `To: <sip:1000@127.0.0.1>\r\nCall-ID: acl-${n}-${address}\r\nCSeq: 1 ${method}\r\nContact: <sip:a@${me}>\r\nX-Who: ${address}\r\nContent-Length: 0\r\n\r\n`,
        port,
        '127.0.0.1',
      );
    },
    close: () => s.close(),
  };
}

describe('source ACL (permissions)', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('INVITE only from carriers, REGISTER from anywhere; reload takes effect, a bad file keeps the old table', async () => {
    const farmPort = await freeLoopbackPort();
    const farm = await backend(farmPort);
    cleanup.push(() => farm.close());
    const config = [
      'ds_ping_interval: 0',
      'address_file: ./address.list',
      'routes:',
      '  - { match: { method: REGISTER }, set: 1, algorithm: 4 }',
      '  - { match: { method: INVITE }, set: 1, algorithm: 4, source_group: carriers }',
      '  - { match: { method: MESSAGE }, set: 1, algorithm: 4, source_group: carriers, on_deny: "403" }',
      '  - { set: 1, algorithm: 4 }',
    ].join('\n');
    const proxy: SipdispatchProcess = await startSipdispatch({ list: `1 sip:127.0.0.1:${farmPort} 0 0\n`, config, transports: ['udp'], files: { 'address.list': 'carriers 127.0.0.60/32\n' } });
    cleanup.push(() => proxy.stop());
    const stranger = await client('127.0.0.50');
    const carrier = await client('127.0.0.60');
    cleanup.push(() => stranger.close(), () => carrier.close());

    for (let i = 0; i < 3; i++) {
      stranger.send('INVITE', proxy.sipPort);
      carrier.send('INVITE', proxy.sipPort);
    }
    stranger.send('REGISTER', proxy.sipPort);
    stranger.send('MESSAGE', proxy.sipPort);
    await waitFor(() => farm.seen.length === 4 && stranger.answers.some((a) => a.includes('403')), undefined, 10_000, () => JSON.stringify(farm.seen));
    expect(farm.seen.sort()).toEqual(['INVITE 127.0.0.60', 'INVITE 127.0.0.60', 'INVITE 127.0.0.60', 'REGISTER 127.0.0.50']);
    expect(stranger.answers.filter((a) => a.includes('403'))).toEqual(['SIP/2.0 403 Forbidden']);
    expect(metricValue(await proxy.metrics(), 'sipdispatch_dropped_total', { reason: 'acl' })).toBeGreaterThanOrEqual(3);

    writeFileSync(join(proxy.dir, 'address.list'), 'carriers 127.0.0.60/32 127.0.0.50\n');
    expect((await proxy.rpc('permissions.addressReload')).result).toBe('Ok.');
    stranger.send('INVITE', proxy.sipPort);
    await waitFor(() => farm.seen.includes('INVITE 127.0.0.50'), undefined, 10_000, () => JSON.stringify(farm.seen));

    writeFileSync(join(proxy.dir, 'address.list'), 'carriers 127.0.0.60/32\ncarriers 127.0.0.500\n');
    const bad = await proxy.rpc('permissions.addressReload');
    expect(bad.error?.message).toContain('address.list:2: "127.0.0.500" is not an IP address or CIDR network');
    expect((await proxy.rpc('permissions.addressDump')).result).toEqual([{ group: 'carriers', networks: ['127.0.0.60/32', '127.0.0.50'] }]);
  }, 60_000);
});
