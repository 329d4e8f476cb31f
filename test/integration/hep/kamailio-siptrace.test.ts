/**
 * Proves the test decoder against a real HEP v3 producer: Kamailio 5.6's siptrace (hep_mode_on,
 * hep_version 3) captures an OPTIONS we send it and duplicates it to our collector. Then the same
 * message encoded by sipdispatch carries the same chunks. Without Kamailio the suite skips, except
 * under CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HepCapture } from '../../../src/hep/hep-capture.js';
import { decodeHep3 } from '../../support/hep-decoder.js';
import { startHepCollector, type TestCollector } from '../../support/hep-collector.js';
import { freeLoopbackPort } from '../../support/sipp.js';
import { waitFor } from '../../support/sipdispatch-process.js';

const KAMAILIO = ['/usr/sbin/kamailio', '/usr/local/sbin/kamailio'].find((p) => existsSync(p));
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';
if (!KAMAILIO && process.env.CI === 'true') throw new Error('Kamailio is required under CI=true: apt-get install kamailio');
if (!KAMAILIO) console.warn('SKIPPED: the siptrace comparison needs Kamailio (apt-get install kamailio)');

const CAPTURE_ID = 4242;

function kamailioCfg(collectorPort: number): string {
  return `#!KAMAILIO
debug=1
log_stderror=yes
children=1
auto_aliases=no
dns=no
rev_dns=no
mpath="${MODULES}"
loadmodule "kex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "siptrace.so"
modparam("siptrace", "duplicate_uri", "sip:127.0.0.1:${collectorPort}")
modparam("siptrace", "hep_mode_on", 1)
modparam("siptrace", "hep_version", 3)
modparam("siptrace", "hep_capture_id", ${CAPTURE_ID})
modparam("siptrace", "trace_to_database", 0)
modparam("siptrace", "trace_on", 1)
request_route {
  sip_trace();
  sl_send_reply("200", "OK");
  exit;
}
`;
}

describe.skipIf(!KAMAILIO)('HEP v3 decoder against Kamailio siptrace', () => {
  let collector: TestCollector;
  let kamailio: ChildProcess;
  let port: number;
  let log = '';

  beforeAll(async () => {
    collector = await startHepCollector();
    port = await freeLoopbackPort();
    const dir = mkdtempSync(join(tmpdir(), 'sipdispatch-siptrace-'));
    writeFileSync(join(dir, 'kamailio.cfg'), kamailioCfg(collector.port));
    kamailio = spawn(KAMAILIO!, ['-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-m', '64', '-M', '8', '-Y', dir, '-P', join(dir, 'kamailio.pid'), '-w', dir, '-l', `udp:127.0.0.1:${port}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    kamailio.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    kamailio.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  }, 30_000);

  afterAll(async () => {
    if (kamailio && kamailio.exitCode === null) {
      const exited = new Promise((r) => kamailio.once('exit', r));
      kamailio.kill('SIGTERM');
      await exited;
    }
    await collector?.close();
  });

  it('decodes what Kamailio sends, and sipdispatch encodes the same message with the same chunks', async () => {
    const client = dgram.createSocket('udp4');
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
    const clientPort = client.address().port;
    const callId = `hep-proof-${process.pid}`;
    const options = Buffer.from(
      `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bK-hep1;rport\r\nMax-Forwards: 70\r\n` +
        `From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1:${port}>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
    );
    const answered = new Promise<void>((resolve) => client.on('message', () => resolve()));
    // Kamailio may still be starting: resend until it answers, bounded by waitFor
    const timer = setInterval(() => client.send(options, port, '127.0.0.1'), 200);
    try {
      await waitFor(() => collector.packets.some((p) => p.payload.includes(callId)), kamailio, 15_000, () => log);
      await answered;
    } finally {
      clearInterval(timer);
      client.close();
    }
    expect(collector.undecodable).toEqual([]);
    const fromKamailio = collector.packets.find((p) => p.payload.includes(callId))!;
    const sentAt = Date.now() / 1000;
    expect(fromKamailio).toMatchObject({
      family: 2, protocol: 17, protocolType: 1, captureId: CAPTURE_ID,
      sourceAddress: '127.0.0.1', sourcePort: clientPort, destinationAddress: '127.0.0.1', destinationPort: port,
    });
    expect(Math.abs(fromKamailio.seconds - sentAt)).toBeLessThan(60);
    expect(fromKamailio.micros).toBeLessThan(1_000_000);
    expect(fromKamailio.payload).toBe(options.toString('latin1'));

    let ours: Buffer | undefined;
    new HepCapture({ captureId: CAPTURE_ID, authKey: undefined, nodeName: undefined, methods: [], enabled: true }, { send: (p) => ((ours = p), true) }).captured(
      options, 'udp', { address: '127.0.0.1', port: clientPort }, { address: '127.0.0.1', port },
    );
    const decoded = decodeHep3(ours!);
    for (const key of ['0:1', '0:2', '0:3', '0:4', '0:7', '0:8', '0:11', '0:12', '0:15']) {
      expect(decoded.chunks.get(key), key).toEqual(fromKamailio.chunks.get(key));
    }
    expect([...fromKamailio.chunks.keys()].filter((k) => k.startsWith('0:')).sort()).toEqual(expect.arrayContaining(['0:1', '0:10', '0:11', '0:12', '0:15', '0:2', '0:3', '0:4', '0:7', '0:8', '0:9']));
  }, 30_000);
});
