/**
 * The whole program in-process (runApp) on loopback with a list of 10,000 destinations: calls keep
 * flowing over UDP while POST /reload swaps in a list with every destination of the other sets
 * changed, and every call completes. Set 1 (two UAS on loopback) is the one calls go to.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApp, type RunningApp } from '../../../src/app/run.js';
import { SipPeer, inviteFrom, responseTo } from '../../support/sip-peer.js';
import { loopbackAppConfig } from '../../support/test-proxy.js';

const DESTINATIONS = 10_000;
/** Calls are bounded: at most this many while the reload runs. */
const MAX_CALLS = 400;

/** Set 1 the two UAS; sets 2-50 filler destinations on 127.1.x.y (never called), `gen` in their port. */
function largeList(uasPorts: readonly number[], gen: number): string {
  const lines = uasPorts.map((p, i) => `1 sip:127.0.0.1:${p} 0 0 duid=uas${i}`);
  for (let i = lines.length; i < DESTINATIONS; i++) lines.push(`${2 + (i % 49)} sip:127.1.${(i >> 8) & 255}.${i & 255}:${5060 + gen} 0 0 duid=d${i}`);
  return lines.join('\n') + '\n';
}

describe('reloading 10,000 destinations while calls flow', () => {
  let app: RunningApp;
  let uas: SipPeer[] = [];
  let uac: SipPeer;
  let dir = '';

  beforeAll(async () => {
    uas = [await SipPeer.udp(), await SipPeer.udp()];
    uac = await SipPeer.udp();
    for (const peer of uas) {
      peer.onRequest((req, from) => {
        if (req.method === 'INVITE') void peer.reply(from, responseTo(req, 200, 'OK', { toTag: 'uas', contact: `<sip:uas@127.0.0.1:${peer.port}>` }));
      });
    }
    const loaded = await loopbackAppConfig('sipdispatch-large-', largeList(uas.map((p) => p.port), 0), {
      reload_delta: 0,
      trusted: ['127.0.0.0/8'],
      list_slice_size: 500,
      routes: [{ set: 1, algorithm: 4 }],
      workers: 1,
    });
    dir = loaded.dir;
    app = await runApp(loaded.config, pino({ level: 'silent' }));
    writeFileSync(loaded.listFile, largeList(uas.map((p) => p.port), 1));
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.all([...uas, uac].map((p) => p?.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every call during and after the reload, and the new list is in force', async () => {
    const sipPort = app.core.transport.addresses()[0]!.port;
    const before = app.core.dispatcher.snapshot;
    let reloaded = false;
    const reload = fetch(`http://127.0.0.1:${app.http.port}/reload`, { method: 'POST' }).then(async (r) => {
      reloaded = true;
      return { status: r.status, body: await r.text() };
    });
    const answered: number[] = [];
    const call = async (n: number): Promise<void> => {
      const callId = `large-${n}@test`;
      await uac.send(inviteFrom(uac.port, callId), sipPort);
      const r = await uac.waitFor((x) => x.msg.kind === 'response' && x.msg.callId === callId && x.msg.status >= 200, 20_000);
      if (r.msg.kind === 'response') answered.push(r.msg.status);
    };
    let n = 0;
    // calls one after another while the reload runs (bounded), then five more on the new list
    while (!reloaded && n < MAX_CALLS) await call(n++);
    const duringReload = n;
    for (let i = 0; i < 5; i++) await call(n++);
    const outcome = await reload;
    expect(outcome.status).toBe(200);
    expect(answered).toHaveLength(n);
    expect(answered.every((s) => s === 200)).toBe(true);
    expect(duringReload).toBeGreaterThan(0);
    // every filler destination changed: a new snapshot holding the same number of destinations
    const after = app.core.dispatcher.snapshot;
    expect(after).not.toBe(before);
    expect(after.byIuid.size).toBe(DESTINATIONS);
    expect(after.sets.get(2)?.destinations[0]?.uri).toMatch(/:5061$/);
  }, 60_000);
});
