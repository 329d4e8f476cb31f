import { afterEach, describe, expect, it } from 'vitest';
import { EdgeGuard } from '../../../src/edge/edge-guard.js';
import type { BanControl } from '../../../src/admin/ban-control.js';
import { rpc, testAdmin, type TestAdmin } from './admin-fixture.js';

const REQ = Buffer.from('INVITE sip:1@x SIP/2.0\r\n\r\n');

function bannedGuard(clock: { now: number }, sources: string[]): { guard: EdgeGuard; bans: BanControl } {
  const guard = new EdgeGuard(
    { pike: { enabled: true, density: 2, windowMs: 1000, maxSources: 100 }, banMs: 60_000, maxBans: 100, scanner: { enabled: false, agents: [] }, scannerSilence: false, authban: { enabled: false, maxRetry: 5, windowMs: 60_000, banMs: 600_000 } },
    { now: () => clock.now, isExempt: () => false, onBan: () => undefined, onAuthBan: () => undefined },
  );
  for (const s of sources) for (let i = 0; i < 3; i++) guard.checkBytes(REQ, s, 5060);
  const bans: BanControl = {
    dump: () => guard.bans.active(clock.now).map((b) => ({ name: b.key, reason: b.reason, expires: Math.ceil((b.until - clock.now) / 1000) })),
    delete: (name) => guard.bans.delete(name),
    flush: () => guard.bans.flush(),
  };
  return { guard, bans };
}

describe('htable RPC and /edge/bans', () => {
  let t: TestAdmin;
  afterEach(() => t.close());

  it('dumps, deletes and flushes the ipban table by RPC, with Kamailio names', async () => {
    const clock = { now: 1_000 };
    const { guard, bans } = bannedGuard(clock, ['127.0.0.66', '127.0.0.67', '127.0.0.68']);
    t = testAdmin({ bans });
    clock.now += 10_000;
    expect((await rpc(t, 'htable.dump', ['ipban'])).body.result).toEqual([
      { name: '127.0.0.66', reason: 'pike', expires: 50 },
      { name: '127.0.0.67', reason: 'pike', expires: 50 },
      { name: '127.0.0.68', reason: 'pike', expires: 50 },
    ]);
    expect((await rpc(t, 'htable.delete', ['ipban', '127.0.0.66'])).body.result).toBe('Ok.');
    expect(guard.checkBytes(REQ, '127.0.0.66', 5060)).toBe('pass');
    expect((await rpc(t, 'htable.flush', ['ipban'])).body.result).toBe('Ok.');
    expect(guard.checkBytes(REQ, '127.0.0.67', 5060)).toBe('pass');
    expect((await rpc(t, 'htable.dump', ['other'])).body.error).toMatchObject({ code: 500, message: expect.stringContaining('No such htable') });
  });

  it('offers the same over HTTP', async () => {
    const clock = { now: 1_000 };
    const { guard, bans } = bannedGuard(clock, ['127.0.0.66', '127.0.0.67']);
    t = testAdmin({ bans });
    expect((await t.app.inject({ method: 'GET', url: '/edge/bans' })).json()).toEqual({ bans: [expect.objectContaining({ name: '127.0.0.66' }), expect.objectContaining({ name: '127.0.0.67' })] });
    expect((await t.app.inject({ method: 'DELETE', url: '/edge/bans/127.0.0.66' })).json()).toEqual({ lifted: '127.0.0.66' });
    const again = await t.app.inject({ method: 'DELETE', url: '/edge/bans/127.0.0.66' });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: 'EDGE_NOT_BANNED' });
    expect((await t.app.inject({ method: 'DELETE', url: '/edge/bans' })).json()).toEqual({ lifted: 1 });
    expect(guard.bans.size).toBe(0);
  });
});
