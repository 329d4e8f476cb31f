import { afterEach, describe, expect, it } from 'vitest';
import { fixture, rpc, testAdmin } from './admin-fixture.js';
import type { TestAdmin } from './admin-fixture.js';

let t: TestAdmin | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const states = (x: TestAdmin) => x.dispatcher.list().flatMap((s) => s.destinations.map((d) => `${s.id} ${d.uri} ${d.state}`));

describe('POST /RPC envelope', () => {
  it('answers -32700 to a body that is not JSON (Kamailio sends no reply at all)', async () => {
    t = testAdmin();
    const res = await t.app.inject({ method: 'POST', url: '/RPC', headers: { 'content-type': 'application/json' }, payload: '{"jsonrpc":' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
  });

  it('answers -32700 to an empty body', async () => {
    t = testAdmin();
    const res = await t.app.inject({ method: 'POST', url: '/RPC', headers: { 'content-type': 'application/json' }, payload: '' });
    expect(res.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('answers -32600 to a batch, a missing method or a bad id, echoing a valid id', async () => {
    t = testAdmin();
    const send = (payload: unknown) => t!.app.inject({ method: 'POST', url: '/RPC', payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
    expect((await send([{ jsonrpc: '2.0', method: 'dispatcher.list', id: 1 }])).json()).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null });
    const noMethod = await send({ jsonrpc: '2.0', id: 'abc' });
    expect(noMethod.statusCode).toBe(400);
    expect(noMethod.json()).toEqual({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: 'abc' });
    expect((await send({ jsonrpc: '2.0', method: 'dispatcher.list', id: { x: 1 } })).json()).toMatchObject({ error: { code: -32600 } });
    expect((await send({ jsonrpc: '1.0', method: 'dispatcher.list', id: 1 })).json()).toMatchObject({ error: { code: -32600 } });
  });

  it('reads the body as JSON whatever the content type (curl -d sends form-urlencoded)', async () => {
    t = testAdmin();
    const res = await t.app.inject({
      method: 'POST', url: '/RPC', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '{"jsonrpc":"2.0","method":"dispatcher.ping_active","id":"x"}',
    });
    expect(res.json()).toEqual({ jsonrpc: '2.0', result: { OldPingState: 1 }, id: 'x' });
  });

  it('takes object params in order, ignoring their names, as Kamailio does', async () => {
    t = testAdmin();
    const res = await rpc(t, 'dispatcher.set_state', { state: 'ip', grp: 1, addr: 'sip:127.0.0.1:5082' });
    expect(res.body['result']).toBe('Ok. Dispatcher state updated.');
    expect(states(t)).toContain('1 sip:127.0.0.1:5082 IP');
  });

  it('answers 500 Method Not Found with the status line mirroring the fault', async () => {
    t = testAdmin();
    const res = await rpc(t, 'dispatcher.oclist', [1]);
    expect([res.status, res.statusMessage]).toEqual([500, 'Method Not Found']);
  });
});

describe('dispatcher.set_state and set_duid_state', () => {
  it('sets by duid, by address case-insensitively, and a whole set with all', async () => {
    t = testAdmin();
    expect((await rpc(t, 'dispatcher.set_duid_state', ['dx', 1, 'fs2'])).body['result']).toBe('Ok. Dispatcher state updated.');
    expect((await rpc(t, 'dispatcher.set_state', ['tp', '2', 'SIP:127.0.0.1:5083'])).body['result']).toBe('Ok. Dispatcher state updated.');
    expect(states(t)).toEqual(['1 sip:127.0.0.1:5081 AX', '1 sip:127.0.0.1:5082 DX', '2 sip:127.0.0.1:5083 TP']);
    await rpc(t, 'dispatcher.set_state', [0, 1, 'all']);
    expect(states(t).slice(0, 2)).toEqual(['1 sip:127.0.0.1:5081 IX', '1 sip:127.0.0.1:5082 IX']);
  });

  it('faults like Kamailio on missing, empty or unknown values', async () => {
    t = testAdmin();
    const message = async (params: unknown) => ((await rpc(t!, 'dispatcher.set_state', params)).body['error'] as { message: string }).message;
    expect(await message(['a', 1])).toBe('Invalid Parameters');
    expect(await message(['a', 'one', 'sip:127.0.0.1:5081'])).toBe('Invalid Parameters');
    expect(await message(['', 1, 'sip:127.0.0.1:5081'])).toBe('Invalid State Parameter');
    expect(await message(['x', 1, 'sip:127.0.0.1:5081'])).toBe('Unknown State Value');
    expect(await message(['a', 9, 'all'])).toBe('State Update Failed');
    expect(((await rpc(t, 'dispatcher.set_duid_state', ['a', 1, 'fs9'])).body['error'] as { message: string }).message).toBe('State Update Failed');
  });
});

describe('dispatcher.ping_active', () => {
  it('switches the dispatcher probing and echoes the value', async () => {
    t = testAdmin();
    expect((await rpc(t, 'dispatcher.ping_active', [0])).body['result']).toEqual({ NewPingState: 0, OldPingState: 1 });
    expect(t.dispatcher.pingActive).toBe(false);
    expect((await rpc(t, 'dispatcher.ping_active', ['1'])).body['result']).toEqual({ NewPingState: 1, OldPingState: 0 });
    expect(((await rpc(t, 'dispatcher.ping_active', ['on'])).body['error'] as { message: string }).message).toBe('Invalid Parameters');
  });
});

describe('dispatcher.hash', () => {
  const vectors = (JSON.parse(fixture('../dispatcher/kamailio-hash-vectors.json')) as {
    vectors: { nslots: number; values: string[]; hashid_unsigned: number; slot: number }[];
  }).vectors;

  it('matches the values Kamailio 5.6.3 computed', async () => {
    t = testAdmin();
    for (const v of vectors) {
      const res = await rpc(t, 'dispatcher.hash', [v.nslots, ...v.values]);
      expect(res.body['result'], v.values.join(' ')).toEqual({ hashid: v.hashid_unsigned, slot: v.slot });
    }
  });

  it('faults on missing parameters', async () => {
    t = testAdmin();
    expect((await rpc(t, 'dispatcher.hash', [10])).body['error']).toEqual({ code: 500, message: 'Invalid Parameters' });
  });
});

describe('dispatcher.reload, add and remove', () => {
  it('refuses a second reload within reload_delta, then accepts it', async () => {
    t = testAdmin({ reloadDeltaMs: 5000 });
    expect((await rpc(t, 'dispatcher.reload')).body['result']).toBe('Ok. Dispatcher successfully reloaded.');
    t.clock.now += 4999;
    expect((await rpc(t, 'dispatcher.reload')).body['error']).toEqual({ code: 500, message: 'Ongoing reload' });
    t.clock.now += 1;
    expect((await rpc(t, 'dispatcher.reload')).body['result']).toBe('Ok. Dispatcher successfully reloaded.');
  });

  it('faults with Reload Failed on a bad file and keeps the list', async () => {
    t = testAdmin();
    t.file.text = '1\n';
    expect((await rpc(t, 'dispatcher.reload')).body['error']).toEqual({ code: 500, message: 'Reload Failed' });
    expect(states(t)).toHaveLength(3);
  });

  it('adds and removes destinations in memory, keeping the state of the others', async () => {
    t = testAdmin({ reloadDeltaMs: 5000 });
    await rpc(t, 'dispatcher.set_state', ['d', 1, 'sip:127.0.0.1:5081']);
    expect((await rpc(t, 'dispatcher.add', [1, 'sip:127.0.0.1:5090', 8, 7, 'duid=fs9'])).body['result']).toBe('Ok. Dispatcher destination added.');
    expect(states(t)).toEqual(['1 sip:127.0.0.1:5081 DX', '1 sip:127.0.0.1:5090 AP', '1 sip:127.0.0.1:5082 AX', '2 sip:127.0.0.1:5083 AP']);
    expect((await rpc(t, 'dispatcher.remove', [2, 'sip:127.0.0.1:5083'])).body['error']).toEqual({ code: 500, message: 'Ongoing reload' });
    t.clock.now += 5000;
    expect((await rpc(t, 'dispatcher.remove', [2, 'sip:127.0.0.1:5083'])).body['result']).toBe('Ok. Dispatcher destination removed.');
    expect(states(t)).toEqual(['1 sip:127.0.0.1:5081 DX', '1 sip:127.0.0.1:5090 AP', '1 sip:127.0.0.1:5082 AX']);
  });

  it('refuses to add what is not one list entry, and to remove what is not there', async () => {
    t = testAdmin({ reloadDeltaMs: 0 });
    const message = async (method: string, params: unknown[]) => ((await rpc(t!, method, params)).body['error'] as { message: string }).message;
    expect(await message('dispatcher.add', [1, 'sip:a 2 sip:b'])).toBe('Adding dispatcher dst failed');
    expect(await message('dispatcher.add', [1, 'sip:127.0.0.1:5091', 0, 0, 'duid=x\n3 sip:evil'])).toBe('Adding dispatcher dst failed');
    expect(await message('dispatcher.add', [1, 'sip:[bad'])).toBe('Adding dispatcher dst failed');
    expect(await message('dispatcher.add', [1])).toBe('Invalid Parameters');
    expect(await message('dispatcher.remove', [1, 'sip:127.0.0.1:5999'])).toBe('Removing dispatcher dst failed');
    expect(states(t)).toHaveLength(3);
  });
});
