/**
 * Edge security end to end through the real CLI, sources chosen by binding to 127.0.0.X: a flooder
 * is banned after its 16th request and gets silence while a trusted carrier's SIPp calls lose
 * nothing; the farm itself is never banned; a slowloris crowd of half-sent TCP requests does not
 * keep a real TCP client out. The flood and the crowd are at issue #13's scale (tests 1 and 6).
 * Counts are bounded; nothing here asserts timing.
 */
import { execFile, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { findSipp, freeLoopbackPort, runSippUac, sippScenario, startSippUas, type SippProcess } from '../support/sipp.js';
import { metricValue, startSipdispatch, waitFor, type SipdispatchProcess } from '../support/sipdispatch-process.js';

const sipp = findSipp();
if (!sipp && process.env.CI === 'true') throw new Error('SIPp (Debian sip-tester) is required under CI=true: apt-get install sip-tester');
if (!sipp) console.warn('SKIPPED: edge security end-to-end tests need SIPp (apt-get install sip-tester)');

/** The farm-side flood of the exemption test (the Node sender below, paced). */
const FLOOD = 3000;
/** Issue #13 test 1: SIPp from 127.0.0.66 at 5,000 OPTIONS/s for 20 s, beside 100 calls/s for 20 s. */
const SIPP_FLOOD_RATE = 5000;
const SIPP_FLOOD = SIPP_FLOOD_RATE * 20;
const CARRIER_CALLS = 100 * 20;
/** Issue #13 test 6: 4,000 idle or half-sent TCP connections, 50 from each of 80 sources (tcp_accept_iplimit is 64). */
const CROWD_SOURCES = 80;
const CROWD_PER_SOURCE = 50;
const CROWD = fileURLToPath(new URL('../support/tcp-crowd.mjs', import.meta.url));
const SVMAP = ['/usr/bin/svmap', '/usr/local/bin/svmap'].find((p) => existsSync(p));
if (!SVMAP && process.env.CI === 'true') throw new Error('sipvicious is required under CI=true: apt-get install sipvicious');

/** Runs a sipvicious tool (bounded by timeout) and returns what it printed. */
function sipvicious(tool: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(tool, args, { timeout: 60_000 }, (_e, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

function options(port: number, from: { address: string; port: number }, n: number, user = '1000'): Buffer {
  return Buffer.from(
    `OPTIONS sip:${user}@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/UDP ${from.address}:${from.port};branch=z9hG4bK-flood-${n}\r\nMax-Forwards: 70\r\n` +
      `From: <sip:flood@${from.address}>;tag=f${n}\r\nTo: <sip:${user}@127.0.0.1>\r\nCall-ID: flood-${n}-${from.address}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
}

/** Sends `count` OPTIONS from a socket bound to `address`, paced in bursts; resolves with the answers it got. */
async function flood(address: string, target: number, count: number, user?: string): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, address, r));
  let answers = 0;
  socket.on('message', () => answers++);
  const from = { address, port: socket.address().port };
  for (let i = 0; i < count; i++) {
    socket.send(options(target, from, i, user), target, '127.0.0.1');
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 1000));
  socket.close();
  return answers;
}

describe.skipIf(!sipp)('edge security through sipdispatch', () => {
  const started: Array<SippProcess | SipdispatchProcess> = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  async function setup(config = '', fdLimit?: number) {
    const cwd = mkdtempSync(join(tmpdir(), 'sipdispatch-edge-'));
    const uasPort = await freeLoopbackPort();
    started.push(await startSippUas({ port: uasPort, scenario: sippScenario('uas'), cwd }));
    const proxy = await startSipdispatch({ list: `1 sip:127.0.0.1:${uasPort} 0 0\n`, config: `ds_ping_interval: 0\ntrusted: [127.0.0.10/32]\n${config}`, fdLimit });
    started.push(proxy);
    return { cwd, proxy };
  }

  it('bans a SIPp flooder (5,000 OPTIONS/s for 20 s) after 16 requests: silence, one fail2ban line; a trusted carrier at 100 calls/s and a polite phone lose nothing', async () => {
    // two threads read the socket, as workers: auto gives on two cores: pike counts for both
    const { cwd, proxy } = await setup('workers: 2\n');
    const target = `127.0.0.1:${proxy.sipPort}`;
    const [carrier, flooder, polite] = await Promise.all([
      runSippUac({ target, scenario: sippScenario('uac'), calls: CARRIER_CALLS, rate: 100, limit: 200, timeoutSec: 120, cwd, localAddress: '127.0.0.10' }),
      runSippUac({ target, scenario: sippScenario('options-flood'), calls: SIPP_FLOOD, rate: SIPP_FLOOD_RATE, timeoutSec: 120, cwd, localAddress: '127.0.0.66' }),
      runSippUac({ target, scenario: sippScenario('uac'), calls: 3, rate: 1, limit: 1, timeoutSec: 60, cwd, localAddress: '127.0.0.11' }),
    ]);
    expect(carrier.failed, carrier.errors).toBe(0);
    expect(carrier.successful).toBe(CARRIER_CALLS);
    expect(polite.failed, polite.errors).toBe(0);
    expect(flooder.successful).toBe(SIPP_FLOOD);
    // every answer the flooder got arrived for a call SIPp had already ended
    const answers = Number(flooder.stats['DeadCallMsgs(C)']) + Number(flooder.stats['OutOfCallMsgs(C)']);
    expect(answers).toBeLessThanOrEqual(16);
    const m = await proxy.metrics();
    expect(metricValue(m, 'sipdispatch_relayed_requests_total', { method: 'OPTIONS' })).toBeLessThanOrEqual(16);
    expect(metricValue(m, 'sipdispatch_dropped_total', { reason: 'pike' })).toBe(1);
    // the bulk of the flood was dropped as banned (the kernel may drop a few datagrams itself)
    expect(metricValue(m, 'sipdispatch_dropped_total', { reason: 'banned' })).toBeGreaterThan(SIPP_FLOOD / 2);
    const lines = proxy.output().split('\n').filter((l) => l.includes('pike blocking'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/"msg":"pike blocking OPTIONS from 127\.0\.0\.66:\d+"/);
  }, 180_000);

  it('never bans the farm: a destination flooding through and to sipdispatch is served', async () => {
    const { proxy } = await setup('workers: 2\n');
    const answers = await flood('127.0.0.1', proxy.sipPort, FLOOD);
    expect(answers).toBeGreaterThan(FLOOD / 2);
    const m = await proxy.metrics();
    expect(metricValue(m, 'sipdispatch_dropped_total', { reason: 'pike' })).toBe(0);
    expect(metricValue(m, 'sipdispatch_dropped_total', { reason: 'banned' })).toBe(0);
  }, 60_000);

  it('answers a scanner nothing: sipvicious User-Agent and an OPTIONS to no user from an unknown host', async () => {
    const { proxy } = await setup();
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.77', r));
    const got: string[] = [];
    socket.on('message', (m) => got.push(m.toString()));
    const from = { address: '127.0.0.77', port: socket.address().port };
    const scan = options(proxy.sipPort, from, 1).toString().replace('Content-Length: 0', 'User-Agent: friendly-scanner\r\nContent-Length: 0');
    socket.send(Buffer.from(scan), proxy.sipPort, '127.0.0.1');
    socket.send(options(proxy.sipPort, from, 2).toString().replace('sip:1000@', 'sip:').replace('To: <sip:1000@', 'To: <sip:'), proxy.sipPort, '127.0.0.1');
    // a normal request from the same host is served: proof the silence is the filter, not the network
    socket.send(options(proxy.sipPort, from, 3), proxy.sipPort, '127.0.0.1');
    await waitFor(() => got.length > 0, undefined, 10_000, () => 'no answer to the normal OPTIONS');
    await new Promise((r) => setTimeout(r, 300));
    socket.close();
    expect(got).toHaveLength(1);
    expect(got[0]).toContain('flood-3-127.0.0.77');
    expect(metricValue(await proxy.metrics(), 'sipdispatch_dropped_total', { reason: 'scanner' })).toBe(2);
  }, 60_000);

  it.skipIf(!SVMAP)('sipvicious svmap and svwar find no device and no extension', async () => {
    const { proxy } = await setup();
    const map = await sipvicious(SVMAP!, ['127.0.0.1', '-p', String(proxy.sipPort)]);
    expect(map).toContain('found nothing');
    expect(map).not.toMatch(/SIP Device/);
    const war = await sipvicious(SVMAP!.replace('svmap', 'svwar'), ['-e100-105', '127.0.0.1', '-p', String(proxy.sipPort)]);
    expect(war).toContain('found nothing');
    expect(war).not.toMatch(/Extension\s*\|/);
    expect(metricValue(await proxy.metrics(), 'sipdispatch_dropped_total', { reason: 'scanner' })).toBeGreaterThan(0);
  }, 150_000);

  it('slowloris: 4,000 idle or half-sent TCP connections from 80 sources; a real TCP client still gets an OPTIONS and calls through, and read timeouts end the crowd', async () => {
    const { cwd, proxy } = await setup('', 65536);
    // the crowd in a process of its own, allowed the descriptors it needs (tests run as root)
    const crowd = spawn('bash', ['-c', 'ulimit -n 65536 2>/dev/null; exec "$0" "$@"', process.execPath, CROWD, String(proxy.sipPort), String(CROWD_SOURCES), String(CROWD_PER_SOURCE)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    crowd.stdout!.setEncoding('utf8').on('data', (d: string) => (said += d));
    const last = (word: string): number => Number([...said.matchAll(new RegExp(`${word} (\\d+)`, 'g'))].at(-1)?.[1] ?? -1);
    try {
      await waitFor(() => last('connected') >= 0, crowd, 120_000, () => `crowd: ${said}`);
      expect(last('connected')).toBe(CROWD_SOURCES * CROWD_PER_SOURCE);
      const legit = async (): Promise<string> =>
        new Promise((resolve) => {
          const s = net.connect({ host: '127.0.0.1', port: proxy.sipPort, localAddress: '127.0.0.10' });
          let got = '';
          s.on('data', (d) => {
            got += d.toString();
            if (got.includes('\r\n\r\n')) {
              s.destroy();
              resolve(got);
            }
          });
          s.on('error', () => resolve(''));
          s.on('close', () => resolve(got));
          s.on('connect', () => s.write(options(proxy.sipPort, { address: '127.0.0.10', port: s.localPort! }, 1).toString().replace('SIP/2.0/UDP', 'SIP/2.0/TCP')));
        });
      // while the crowd holds its 4,000 connections
      expect(await legit()).toMatch(/^SIP\/2\.0 200/);
      const calls = await runSippUac({ target: `127.0.0.1:${proxy.sipPort}`, scenario: sippScenario('uac'), calls: 10, rate: 10, limit: 10, transport: 'tcp', timeoutSec: 60, cwd, localAddress: '127.0.0.10' });
      expect(calls.failed, calls.errors).toBe(0);
      expect(calls.successful).toBe(10);
      expect(last('closed')).toBeLessThan(CROWD_SOURCES * CROWD_PER_SOURCE);
      // tcp_msg_read_timeout (10 s), not the 10-minute idle timeout, ends every one of them
      await waitFor(() => last('closed') === CROWD_SOURCES * CROWD_PER_SOURCE, crowd, 120_000, () => `crowd: ${said.slice(-200)}`);
      expect(metricValue(await proxy.metrics(), 'sipdispatch_dropped_total', { reason: 'limit' })).toBe(0);
    } finally {
      crowd.kill('SIGTERM');
    }
  }, 300_000);

  it('tcp_accept_iplimit: connections from one source over the limit are refused, counted', async () => {
    const { proxy } = await setup('tcp_accept_iplimit: 4\n');
    const holders: net.Socket[] = [];
    const connect = (localAddress: string) =>
      new Promise<void>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: proxy.sipPort, localAddress });
        holders.push(s);
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.on('connect', () => resolve());
      });
    try {
      // one source, six connections one after another: the 5th and 6th are over tcp_accept_iplimit
      for (let i = 0; i < 6; i++) await connect('127.0.4.1');
      await waitFor(async () => metricValue(await proxy.metrics(), 'sipdispatch_dropped_total', { reason: 'limit' }) === 2, undefined, 10_000, () => 'tcp_accept_iplimit');
    } finally {
      for (const s of holders) s.destroy();
    }
  }, 60_000);
});
