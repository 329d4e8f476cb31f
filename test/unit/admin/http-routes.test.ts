import { afterEach, describe, expect, it } from 'vitest';
import type { ReloadOutcome } from '../../../src/admin/rpc-methods.js';
import { LIST_FILE, SAMPLE_LIST, testAdmin } from './admin-fixture.js';
import type { TestAdmin } from './admin-fixture.js';

let t: TestAdmin | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const states = (x: TestAdmin) => x.dispatcher.list().flatMap((s) => s.destinations.map((d) => `${s.id} ${d.uri} ${d.state}`));
const post = (x: TestAdmin, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
  x.app.inject({ method: 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

const CHANGED_LIST = '1 sip:127.0.0.1:5081 0 10 duid=fs1\n1 sip:127.0.0.1:5084 0 1\n';

describe('POST /reload', () => {
  it('answers the diff and keeps the state of persisting destinations', async () => {
    t = testAdmin();
    await post(t, '/dispatcher/state', { set: 1, uri: 'sip:127.0.0.1:5081', state: 'd' });
    t.file.text = CHANGED_LIST;
    const res = await post(t, '/reload');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      added: [{ set: 1, uri: 'sip:127.0.0.1:5084' }],
      removed: [{ set: 1, uri: 'sip:127.0.0.1:5082' }, { set: 2, uri: 'sip:127.0.0.1:5083' }],
      kept: [{ set: 1, uri: 'sip:127.0.0.1:5081' }],
      warnings: [],
    });
    expect(states(t)).toEqual(['1 sip:127.0.0.1:5081 DX', '1 sip:127.0.0.1:5084 AX']);
  });

  it('resets state like Kamailio with ?reset=1', async () => {
    t = testAdmin();
    await post(t, '/dispatcher/state', { set: 1, uri: 'sip:127.0.0.1:5081', state: 'd' });
    expect((await post(t, '/reload?reset=1')).statusCode).toBe(200);
    expect(states(t)[0]).toBe('1 sip:127.0.0.1:5081 AX');
  });

  it('answers 409 with every file:line reason and keeps the old list', async () => {
    t = testAdmin();
    t.file.text = '1 sip:127.0.0.1:5081\n2\n3 sip:127.0.0.1:5085 0 0 weight=500\n';
    const res = await post(t, '/reload');
    expect(res.statusCode).toBe(409);
    const body = res.json() as { error: { code: string; message: string; errors: string[] } };
    expect(body.error.code).toBe('LIST_SYNTAX');
    expect(body.error.errors.length).toBeGreaterThanOrEqual(2);
    expect(body.error.errors[0]).toMatch(new RegExp(`^${LIST_FILE}:2: `));
    expect(body.error.errors.some((e) => e.startsWith(`${LIST_FILE}:3: `))).toBe(true);
    expect(states(t)).toHaveLength(3);
  });

  it('rejects unknown query parameters', async () => {
    t = testAdmin();
    const res = await post(t, '/reload?reset=maybe');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'RPC_INVALID_PARAMS' } });
  });

  it('accepts an empty JSON body', async () => {
    t = testAdmin();
    expect((await post(t, '/reload', undefined, { 'content-type': 'application/json' })).statusCode).toBe(200);
  });

  it('serializes concurrent reloads: both answer, the last file wins', async () => {
    let running = 0;
    let maxRunning = 0;
    const file = { text: SAMPLE_LIST };
    let release: () => void = () => {};
    const firstStarted = new Promise<void>((started) => {
      t = testAdmin({
        reload: async ({ reset }): Promise<ReloadOutcome> => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          const text = file.text;
          if (text === CHANGED_LIST) {
            started();
            await new Promise<void>((r) => (release = r));
          }
          const r = t!.dispatcher.reload(text, LIST_FILE, { reset });
          running--;
          return r.ok ? { ok: true, report: r.value } : { ok: false, code: r.error.code, errors: r.error.errors };
        },
      });
    });
    file.text = CHANGED_LIST;
    const first = post(t!, '/reload');
    await firstStarted;
    file.text = '5 sip:127.0.0.1:5095 0 0\n';
    const second = post(t!, '/reload');
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(a.json()).toMatchObject({ added: [{ set: 1, uri: 'sip:127.0.0.1:5084' }] });
    expect(b.json()).toMatchObject({ added: [{ set: 5, uri: 'sip:127.0.0.1:5095' }], kept: [] });
    expect(maxRunning).toBe(1);
    expect(states(t!)).toEqual(['5 sip:127.0.0.1:5095 AX']);
  });
});

describe('GET /dispatcher', () => {
  it('lists sets and destinations with state, priority, attrs, latency and load', async () => {
    t = testAdmin();
    const res = await t.app.inject({ method: 'GET', url: '/dispatcher' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { pingActive: boolean; sets: { id: number; destinations: Record<string, unknown>[] }[] };
    expect(body.pingActive).toBe(true);
    expect(body.sets.map((s) => s.id)).toEqual([1, 2]);
    expect(body.sets[0]!.destinations[0]).toMatchObject({
      uri: 'sip:127.0.0.1:5081', state: 'AX', up: true, priority: 10,
      attrs: { duid: 'fs1', weight: 50 }, latency: { avg: 0, timeout: 0 }, callLoad: 0,
    });
  });
});

describe('POST /dispatcher/state', () => {
  it('drains by URI, sets by duid and a whole set', async () => {
    t = testAdmin();
    const drain = await post(t, '/dispatcher/state', { set: 1, uri: 'sip:127.0.0.1:5081', state: 'd' });
    expect(drain.statusCode).toBe(200);
    expect(drain.json()).toMatchObject({ updated: 1, set: { id: 1 } });
    expect((await post(t, '/dispatcher/state', { set: '1', duid: 'fs2', state: 'ip' })).statusCode).toBe(200);
    expect(states(t).slice(0, 2)).toEqual(['1 sip:127.0.0.1:5081 DX', '1 sip:127.0.0.1:5082 IP']);
    expect((await post(t, '/dispatcher/state', { set: 1, all: true, state: 'A' })).json()).toMatchObject({ updated: 2 });
    expect((await post(t, '/dispatcher/state', { set: 2, uri: 'all', state: 'i' })).json()).toMatchObject({ updated: 1 });
  });

  it('answers 404 for an unknown destination or set', async () => {
    t = testAdmin();
    const res = await post(t, '/dispatcher/state', { set: 1, uri: 'sip:127.0.0.1:9999', state: 'a' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'RPC_STATE_UPDATE_FAILED' } });
    expect((await post(t, '/dispatcher/state', { set: 7, all: true, state: 'a' })).statusCode).toBe(404);
  });

  const bad: [string, unknown][] = [
    ['missing state', { set: 1, uri: 'sip:127.0.0.1:5081' }],
    ['unknown state letter', { set: 1, uri: 'sip:127.0.0.1:5081', state: 'z' }],
    ['state too long', { set: 1, uri: 'sip:127.0.0.1:5081', state: 'apx' }],
    ['no address', { set: 1, state: 'a' }],
    ['two addresses', { set: 1, uri: 'sip:127.0.0.1:5081', duid: 'fs1', state: 'a' }],
    ['negative set', { set: -1, all: true, state: 'a' }],
    ['set not a number', { set: 'one', all: true, state: 'a' }],
    ['unknown field', { set: 1, all: true, state: 'a', force: true }],
    ['not an object', [1, 'sip:127.0.0.1:5081', 'a']],
  ];
  for (const [name, body] of bad) {
    it(`answers 400 RPC_INVALID_PARAMS: ${name}`, async () => {
      t = testAdmin();
      const res = await post(t, '/dispatcher/state', body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'RPC_INVALID_PARAMS' } });
      expect(states(t)[0]).toBe('1 sip:127.0.0.1:5081 AX');
    });
  }

  it('answers 400 ADMIN_BAD_BODY to invalid JSON and 415 to another content type', async () => {
    t = testAdmin();
    const invalid = await post(t, '/dispatcher/state', '{"set":', { 'content-type': 'application/json' });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json()).toMatchObject({ error: { code: 'ADMIN_BAD_BODY' } });
    const xml = await post(t, '/dispatcher/state', '<set>1</set>', { 'content-type': 'application/xml' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json()).toMatchObject({ error: { code: 'ADMIN_BAD_BODY' } });
  });
});

describe('POST /dispatcher/ping', () => {
  it('reads the switch with an empty body and sets it with {active}', async () => {
    t = testAdmin();
    expect((await post(t, '/dispatcher/ping')).json()).toEqual({ active: true });
    expect((await post(t, '/dispatcher/ping', { active: false })).json()).toEqual({ active: false, previous: true });
    expect(t.dispatcher.pingActive).toBe(false);
    expect((await post(t, '/dispatcher/ping', { active: 'no' })).statusCode).toBe(400);
  });
});

describe('GET /metrics, /health, /ready', () => {
  it('serves the Prometheus exposition', async () => {
    t = testAdmin();
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.body).toContain('sipdispatch_destination_up{set="1",uri="sip:127.0.0.1:5081"} 1');
  });

  it('is live, and ready only when listening with a loaded list and a destination up', async () => {
    t = testAdmin();
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const ready = await t.app.inject({ method: 'GET', url: '/ready' });
    expect([ready.statusCode, ready.json()]).toEqual([200, { ready: true, listening: true, loaded: true, destinationsUp: 3 }]);
    t.readiness.listening = false;
    expect((await t.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(503);
    t.readiness.listening = true;
    await post(t, '/dispatcher/state', { set: 1, all: true, state: 'd' });
    await post(t, '/dispatcher/state', { set: 2, all: true, state: 'ip' });
    const down = await t.app.inject({ method: 'GET', url: '/ready' });
    expect([down.statusCode, down.json()]).toEqual([503, { ready: false, listening: true, loaded: true, destinationsUp: 0 }]);
  });

  it('answers 404 ADMIN_NOT_FOUND elsewhere', async () => {
    t = testAdmin();
    const res = await t.app.inject({ method: 'GET', url: '/RPC' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'ADMIN_NOT_FOUND' } });
  });
});

describe('bearer token', () => {
  const urls = [['GET', '/dispatcher'], ['GET', '/metrics'], ['GET', '/ready'], ['POST', '/reload'], ['POST', '/RPC'], ['GET', '/nowhere']] as const;

  it('guards every endpoint but /health', async () => {
    t = testAdmin({ token: 's3cret' });
    expect((await t.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    for (const [method, url] of urls) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode, url).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toMatchObject({ error: { code: 'RPC_UNAUTHORIZED' } });
    }
  });

  it('refuses a wrong token and accepts the right one', async () => {
    t = testAdmin({ token: 's3cret' });
    for (const authorization of ['Bearer s3cre', 'Bearer s3cret2', 'Basic s3cret', 's3cret', 'Bearer']) {
      expect((await t.app.inject({ method: 'GET', url: '/dispatcher', headers: { authorization } })).statusCode, authorization).toBe(401);
    }
    const ok = await t.app.inject({ method: 'GET', url: '/dispatcher', headers: { authorization: 'bearer s3cret' } });
    expect(ok.statusCode).toBe(200);
    const rpc = await t.app.inject({
      method: 'POST', url: '/RPC', headers: { authorization: 'Bearer s3cret' },
      payload: { jsonrpc: '2.0', method: 'dispatcher.ping_active', id: 1 },
    });
    expect(rpc.json()).toEqual({ jsonrpc: '2.0', result: { OldPingState: 1 }, id: 1 });
  });
});
