/**
 * A real browser through the real CLI: Debian's chromium, driven by playwright-core, loads a page
 * with SIP.js (served from a loopback HTTP server), registers over WSS through sipdispatch to a
 * UDP registrar/UAS in this test, places a call (INVITE, 200, ACK, BYE over WSS <-> UDP), and then
 * takes a call from the UDP side, which reaches it through Path and the flow token.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loopbackServer, makeCa } from '../support/certs.js';
import { SipPeer, header } from '../support/sip-peer.js';
import { startSipdispatch, type SipdispatchProcess } from '../support/sipdispatch-process.js';
import { freeLoopbackPort } from '../support/sipp.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';

const CHROMIUM = '/usr/bin/chromium';
const SIPJS = fileURLToPath(new URL('../../node_modules/sip.js/lib', import.meta.url));
const PAGE = fileURLToPath(new URL('./webrtc/page.html', import.meta.url));

/** What page.html puts on the page's global object. */
interface Phone {
  events: string[];
  register(): Promise<void>;
  call(target: string): Promise<void>;
  hangUp(): Promise<void>;
  answerOffer(sdp: string): Promise<string>;
  makeOffer(): Promise<string>;
  takeAnswer(sdp: string): Promise<void>;
  document: { getElementById(id: string): { textContent: string | null } | null };
}

/** A response to `req` with an optional SDP body (the farm's side). */
function answer(req: SipRequest, status: number, reason: string, opts: { toTag?: string; sdp?: string; contact?: string; extra?: string[] } = {}): string {
  const vias = req.headers.filter((h) => h.key === 'via').map((h) => `Via: ${h.value}`);
  const rr = status > 100 ? req.headers.filter((h) => h.key === 'record-route').map((h) => `Record-Route: ${h.value}`) : [];
  const to = header(req, 'to')!;
  const body = opts.sdp ?? '';
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...vias,
    ...rr,
    `From: ${header(req, 'from')}`,
    `To: ${/;tag=/.test(to) || !opts.toTag ? to : `${to};tag=${opts.toTag}`}`,
    `Call-ID: ${req.callId}`,
    `CSeq: ${req.cseq.seq} ${req.cseq.method}`,
    ...(opts.contact ? [`Contact: ${opts.contact}`] : []),
    ...(opts.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

function request(lines: string[], body = ''): string {
  return [...lines, ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
}

/** Serves the test page and SIP.js's ES modules on 127.0.0.1 (a routed page may not open a WebSocket to loopback). */
async function servePage(): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(readFileSync(PAGE));
      return;
    }
    const file = path.join(SIPJS, path.normalize(url.pathname.replace(/^\/sip\.js\//, '')));
    if (url.pathname.startsWith('/sip.js/') && file.startsWith(SIPJS) && existsSync(file)) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

// .ci/run installs Debian's chromium; without it this fails rather than pass by skipping
describe('a WebRTC browser (chromium + SIP.js) through sipdispatch over WSS to a UDP farm', () => {
  let proxy: SipdispatchProcess;
  let farm: SipPeer;
  let browser: Browser;
  let page: Page;
  let pageServer: http.Server;
  let wssPort: number;
  const registration: { path?: string; contact?: string } = {};
  const farmSaw: string[] = [];

  beforeAll(async () => {
    const ca = makeCa();
    const cert = loopbackServer(ca);
    // chromium trusts exactly this key for the test's WSS (no CA install, nothing else skipped)
    const spki = createHash('sha256').update(new X509Certificate(readFileSync(cert.cert)).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');

    farm = await SipPeer.udp();
    farm.onRequest((req, from) => {
      farmSaw.push(req.method);
      switch (req.method) {
        case 'REGISTER':
          registration.path = header(req, 'path');
          registration.contact = req.contact[0]?.uri;
          void farm.reply(from, answer(req, 200, 'OK', { extra: [`Contact: <${registration.contact}>;expires=600`] }));
          return;
        case 'INVITE':
          void farm.reply(from, answer(req, 180, 'Ringing', { toTag: 'fs1' }));
          void page.evaluate((offer) => (globalThis as unknown as Phone).answerOffer(offer), req.body.toString()).then((sdp) =>
            farm.reply(from, answer(req, 200, 'OK', { toTag: 'fs1', sdp, contact: `<sip:fs@127.0.0.1:${farm.port}>` })),
          );
          return;
        case 'BYE':
          void farm.reply(from, answer(req, 200, 'OK'));
          return;
      }
    });

    wssPort = await freeLoopbackPort();
    proxy = await startSipdispatch({
      list: `1 sip:127.0.0.1:${farm.port} 0 0\n`,
      transports: ['udp'],
      args: ['--listen', `wss:127.0.0.1:${wssPort}`],
      config: `tls:\n  certificate: ${cert.cert}\n  private_key: ${cert.key}\nflow_token_secret: webrtc-e2e-secret-0123456789\n`,
    });
    const served = await servePage();
    pageServer = served.server;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        `--ignore-certificate-errors-spki-list=${spki}`,
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        '--allow-loopback-in-peer-connection',
      ],
    });
    page = await browser.newPage();
    page.on('pageerror', (e) => farmSaw.push(`pageerror:${e.message}`));
    await page.goto(`${served.url}?server=${encodeURIComponent(`wss://127.0.0.1:${wssPort}`)}`);
    await page.waitForFunction(() => (globalThis as unknown as Phone).document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 20_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.stop();
    await farm?.close();
    await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
  });

  const events = (): Promise<string[]> => page.evaluate(() => (globalThis as unknown as Phone).events);

  it('registers over WSS: the UDP registrar gets a Path with the flow token', async () => {
    await page.evaluate(() => (globalThis as unknown as Phone).register());
    expect(registration.contact).toMatch(/\.invalid/);
    expect(registration.path).toMatch(new RegExp(`^<sip:[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+@127\\.0\\.0\\.1:${proxy.sipPort};lr;ob>$`));
    const dump = await proxy.rpc('ws.dump');
    expect((dump.result as { connections: Array<{ transport: string }> }).connections).toEqual([expect.objectContaining({ transport: 'wss' })]);
  }, 30_000);

  it('places a call to the farm: INVITE, 180, 200, ACK and BYE over WSS <-> UDP', async () => {
    await page.evaluate(() => (globalThis as unknown as Phone).call('sip:1000@example.com'));
    await expect.poll(events, { timeout: 20_000 }).toContain('out:Established');
    await expect.poll(() => farmSaw.includes('ACK'), { timeout: 10_000 }).toBe(true);
    await page.evaluate(() => (globalThis as unknown as Phone).hangUp());
    await expect.poll(events, { timeout: 10_000 }).toContain('out:Terminated');
    expect(farmSaw.filter((m) => m === 'INVITE' || m === 'ACK' || m === 'BYE')).toEqual(['INVITE', 'ACK', 'BYE']);
  }, 40_000);

  it('takes a call from the UDP side, which reaches it through Path and the flow token', async () => {
    const offer = await page.evaluate(() => (globalThis as unknown as Phone).makeOffer());
    const callId = 'from-farm-1';
    const base = (method: string, cseq: number, branch: string, route: string[], uri: string) => [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${farm.port};branch=z9hG4bK-${branch};rport`,
      ...route.map((r) => `Route: ${r}`),
      'Max-Forwards: 70',
      `From: <sip:1000@example.com>;tag=fs-in`,
      `To: <sip:alice@example.com>${method === 'INVITE' ? '' : ';tag=BROWSERTAG'}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:fs@127.0.0.1:${farm.port}>`,
    ];
    await farm.send(request(base('INVITE', 1, 'in-invite', [registration.path!], registration.contact!), offer), proxy.sipPort);
    const ok = (await farm.waitFor((r) => r.msg.kind === 'response' && r.msg.callId === callId && r.msg.status === 200, 20_000)).msg as SipResponse;
    await page.evaluate((sdp) => (globalThis as unknown as Phone).takeAnswer(sdp), ok.body.toString());
    // the farm is the caller: route set = Record-Route reversed, target = the browser's Contact
    const route = ok.recordRoute.map((r) => `<${r.uri}>`).reverse();
    const target = ok.contact[0]!.uri;
    const fix = (text: string) => text.replace('BROWSERTAG', ok.to.tag!);
    await farm.send(fix(request(base('ACK', 1, 'in-ack', route, target))), proxy.sipPort);
    await expect.poll(events, { timeout: 10_000 }).toContain('in:Established');
    await farm.send(fix(request(base('BYE', 2, 'in-bye', route, target))), proxy.sipPort);
    await farm.waitFor((r) => r.msg.kind === 'response' && r.msg.callId === callId && r.msg.status === 200 && r.msg.cseq.method === 'BYE', 10_000);
    await expect.poll(events, { timeout: 10_000 }).toContain('in:Terminated');
  }, 40_000);
});
