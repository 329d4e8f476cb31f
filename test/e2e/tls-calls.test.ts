/**
 * TLS through the real CLI. A TLS client places 1,000 calls over TLS through sipdispatch to two
 * SIPp UAS backends over UDP: none fails. And a `;transport=tls` destination served by a real TLS
 * peer (Kamailio 5.6 with Debian's kamailio-tls-modules) is probed over TLS, shown active, and
 * reached by a call.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runStreamCalls } from '../../bench/transport/stream-uac.mjs';
import { loopbackServer, makeCa } from '../support/certs.js';
import { startSipdispatch, waitFor, type SipdispatchProcess } from '../support/sipdispatch-process.js';
import { freeLoopbackPort, sippScenario, startSippUas, type SippProcess } from '../support/sipp.js';

const KAMAILIO = '/usr/sbin/kamailio';
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

describe('TLS calls through the CLI', () => {
  const stops: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  it('1,000 calls from a TLS client to two SIPp UAS over UDP: 0 failed', async () => {
    const ca = makeCa();
    const cert = loopbackServer(ca);
    const cwd = mkdtempSync(join(tmpdir(), 'sipdispatch-tls-calls-'));
    const uasPorts: number[] = [];
    const uas: SippProcess[] = [];
    for (let i = 0; i < 2; i++) {
      // one at a time: a port is only taken once SIPp binds it
      uasPorts.push(await freeLoopbackPort());
      uas.push(await startSippUas({ port: uasPorts[i]!, scenario: sippScenario('uas'), cwd }));
    }
    stops.push(async () => Promise.all(uas.map((u) => u.stop())));
    const tlsPort = await freeLoopbackPort();
    const proxy = await startSipdispatch({
      list: uasPorts.map((p) => `1 sip:127.0.0.1:${p} 0 0`).join('\n') + '\n',
      transports: ['udp'],
      args: ['--listen', `tls:127.0.0.1:${tlsPort}`],
      config: `tls:\n  certificate: ${cert.cert}\n  private_key: ${cert.key}\n`,
    });
    stops.push(() => proxy.stop());
    const result = await runStreamCalls({ transport: 'tls', host: '127.0.0.1', port: tlsPort, ca: readFileSync(ca.caCert), calls: 1000, concurrency: 40, connections: 4 });
    expect({ ok: result.ok, failed: result.failed }).toEqual({ ok: 1000, failed: 0 });
  }, 120_000);

  it('probes and reaches a transport=tls destination served by Kamailio with its TLS module', async () => {
    const ca = makeCa();
    const cert = loopbackServer(ca, 'kamailio.test');
    const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-kamailio-tls-'));
    const kamailioPort = await freeLoopbackPort();
    writeFileSync(join(dir, 'tls.cfg'), `[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\nprivate_key = ${cert.key}\ncertificate = ${cert.cert}\n\n[client:default]\nverify_certificate = no\nrequire_certificate = no\n`);
    writeFileSync(join(dir, 'kamailio.cfg'), `#!KAMAILIO
debug=1
log_stderror=yes
children=1
tcp_children=1
auto_aliases=no
dns=no
rev_dns=no
enable_tls=yes
mpath="${MODULES}"
loadmodule "tls.so"
loadmodule "kex.so"
loadmodule "sl.so"
loadmodule "pv.so"
modparam("tls", "config", "${join(dir, 'tls.cfg')}")
request_route {
  if (method == "INVITE") { sl_send_reply("486", "Busy Here (Kamailio over TLS)"); exit; }
  sl_send_reply("200", "OK");
  exit;
}
`);
    let log = '';
    const kamailio: ChildProcess = spawn(KAMAILIO, ['-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-m', '64', '-M', '8', '-Y', dir, '-P', join(dir, 'kamailio.pid'), '-w', dir, '-l', `tls:127.0.0.1:${kamailioPort}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    kamailio.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    kamailio.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    stops.push(async () => {
      if (kamailio.exitCode !== null) return;
      const exited = new Promise((r) => kamailio.once('exit', r));
      kamailio.kill('SIGTERM');
      await exited;
    });
    await waitFor(() => /listening on|tls:127\.0\.0\.1/i.test(log), kamailio, 15_000, () => log);

    const proxy: SipdispatchProcess = await startSipdispatch({
      list: `1 sip:127.0.0.1:${kamailioPort};transport=tls 8 0\n`,
      transports: ['udp'],
      config: `ds_ping_interval: 1\nds_probing_threshold: 1\nds_inactive_threshold: 1\ntls:\n  ca_list: ${ca.caCert}\n`,
    });
    stops.push(() => proxy.stop());
    // probed over TLS: the destination turns active (AP) once Kamailio answers an OPTIONS
    await expect.poll(async () => JSON.stringify((await proxy.rpc('dispatcher.list')).result), { timeout: 20_000, interval: 250 }).toContain('"FLAGS":"AP"');

    // a call over UDP to sipdispatch reaches Kamailio over TLS and comes back with its answer
    const client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    stops.push(async () => client.close());
    const port = client.address().port;
    const invite = `INVITE sip:1000@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-kam-tls;rport\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=k1\r\nTo: <sip:1000@example.com>\r\nCall-ID: kamailio-tls-1\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:${port}>\r\nContent-Length: 0\r\n\r\n`;
    const answer = new Promise<string>((resolve) => client.on('message', (m) => {
      const text = m.toString();
      if (!text.startsWith('SIP/2.0 100')) resolve(text);
    }));
    client.send(invite, proxy.sipPort, '127.0.0.1');
    expect(await answer).toMatch(/^SIP\/2\.0 486 Busy Here \(Kamailio over TLS\)/);
  }, 60_000);
});

if (!existsSync(KAMAILIO) && process.env.CI === 'true') throw new Error('Kamailio is required under CI=true: apt-get install kamailio kamailio-tls-modules');
