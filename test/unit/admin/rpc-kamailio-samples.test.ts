/**
 * POST /RPC against the replies Kamailio 5.6.3 recorded (test/fixtures/admin): same keys in the
 * same order, same types, and the same values wherever the state can be reproduced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { fixture, rpc, testAdmin } from './admin-fixture.js';
import type { TestAdmin } from './admin-fixture.js';

let t: TestAdmin | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Keys in order and value types, recursively: the shape a client walks. */
function shape(v: Json): unknown {
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return Object.entries(v).map(([k, x]) => [k, shape(x)]);
  return v === null ? 'null' : typeof v;
}

/** Values equal, floats to the 3 decimals Kamailio's float32 statistics keep. */
function expectSameValues(ours: Json, theirs: Json, path = '$'): void {
  if (typeof theirs === 'number' && !Number.isInteger(theirs)) {
    expect(ours, path).toBeCloseTo(theirs, 3);
  } else if (theirs !== null && typeof theirs === 'object') {
    expect(Object.keys(ours as object), path).toEqual(Object.keys(theirs));
    for (const [k, v] of Object.entries(theirs)) expectSameValues((ours as Record<string, Json>)[k]!, v, `${path}.${k}`);
  } else {
    expect(ours, path).toEqual(theirs);
  }
}

/** Kamailio prints sets in AVL post-order; we sort them by ID (documented difference). */
function sortedResult(sample: string): Json {
  const reply = JSON.parse(fixture(sample)) as { result: { NRSETS: number; RECORDS: { SET: { ID: number } }[] } };
  const records = [...reply.result.RECORDS].sort((a, b) => a.SET.ID - b.SET.ID);
  return { ...reply.result, RECORDS: records } as unknown as Json;
}

const destination = (d: Dispatcher, set: number, port: number) => d.snapshot.sets.get(set)!.destinations.find((x) => x.uri.endsWith(`:${port}`))!;

/** The state of the 7 s samples: :5081 answered (RTT 0 and 500 ms, probed), :5082 not yet (AX), :5083 AP from the file. */
function reproduceT7s(d: Dispatcher): void {
  const fs1 = destination(d, 1, 5081);
  d.recordProbeResult(fs1, 200, 'OK', 3);
  d.recordProbeResult(fs1, 200, 'OK', 0);
  d.recordProbeResult(fs1, 200, 'OK', 500);
}

/** The state of the 40 s sample: :5082 and :5083 timed out into IP, :5081 answered six more times. */
function reproduceT40s(d: Dispatcher): void {
  const fs1 = destination(d, 1, 5081);
  d.recordProbeResult(fs1, 200, 'OK', 3);
  for (const rtt of [0, 500, 0, 0, 0, 0]) d.recordProbeResult(fs1, 200, 'OK', rtt);
  for (let i = 0; i < 5; i++) d.recordProbeResult(destination(d, 1, 5082), 408, 'Request Timeout', undefined);
  for (let i = 0; i < 5; i++) d.recordProbeResult(destination(d, 2, 5083), 408, 'Request Timeout', undefined);
}

describe('dispatcher.list against Kamailio 5.6.3', () => {
  const cases = [
    { sample: 'jsonrpc-dispatcher.list.t7s.json', params: undefined, state: reproduceT7s },
    { sample: 'jsonrpc-dispatcher.list-short.json', params: ['short'], state: reproduceT7s },
    { sample: 'jsonrpc-dispatcher.list-full.json', params: ['FULL'], state: reproduceT7s },
    { sample: 'jsonrpc-dispatcher.list.t40s.json', params: [], state: reproduceT40s },
  ];
  for (const { sample, params, state } of cases) {
    it(`matches ${sample} in shape and values`, async () => {
      t = testAdmin();
      state(t.dispatcher);
      const res = await rpc(t, 'dispatcher.list', params);
      expect(res.status).toBe(200);
      const theirs = sortedResult(sample);
      const ours = res.body['result'] as Json;
      expect(shape(ours)).toEqual(shape(theirs));
      expectSameValues(ours, theirs);
    });
  }

  it('answers the envelope keys in Kamailio order', async () => {
    t = testAdmin();
    const res = await rpc(t, 'dispatcher.list', undefined, 7);
    expect(Object.keys(res.body)).toEqual(['jsonrpc', 'result', 'id']);
    expect(res.body['id']).toBe(7);
  });

  it('leaves ATTRS out in normal mode when the destination has no attrs, keeps it in full mode', async () => {
    t = testAdmin();
    t.file.text = '1 sip:10.0.0.1:5060 0 0\n';
    await t.app.inject({ method: 'POST', url: '/reload' });
    const normal = await rpc(t, 'dispatcher.list');
    const full = await rpc(t, 'dispatcher.list', ['full']);
    const dest = (r: typeof normal) => (r.body['result'] as { RECORDS: { SET: { TARGETS: { DEST: Record<string, unknown> }[] } }[] }).RECORDS[0]!.SET.TARGETS[0]!.DEST;
    expect(Object.keys(dest(normal))).toEqual(['URI', 'FLAGS', 'PRIORITY', 'LATENCY']);
    expect(dest(full)['ATTRS']).toEqual({ BODY: null, DUID: null, MAXLOAD: 0, WEIGHT: 0, RWEIGHT: 0, SOCKET: null, SOCKNAME: null, OBPROXY: null });
  });

  it('shows RUNTIME.DLGLOAD with call-load dispatching and no LATENCY without latency statistics', async () => {
    t = testAdmin({ listBlocks: { latencyStats: false, callLoad: true } });
    const res = await rpc(t, 'dispatcher.list', ['short']);
    const first = (res.body['result'] as { RECORDS: { SET: { TARGETS: { DEST: Record<string, unknown> }[] } }[] }).RECORDS[0]!.SET.TARGETS[0]!.DEST;
    expect(first).toEqual({ URI: 'sip:127.0.0.1:5081', FLAGS: 'AX', PRIORITY: 10, RUNTIME: { DLGLOAD: 0 } });
  });

  it('faults with No Destination Sets on an empty list', async () => {
    t = testAdmin();
    t.file.text = '# nothing\n';
    await t.app.inject({ method: 'POST', url: '/reload' });
    const res = await rpc(t, 'dispatcher.list');
    expect(res.status).toBe(500);
    expect(res.statusMessage).toBe('No Destination Sets');
  });
});

describe('the recorded command session (jsonrpc-commands.txt)', () => {
  /** `>>> request` lines, each followed by Kamailio's pretty-printed reply. */
  function session(): { request: Record<string, unknown>; reply: Record<string, unknown> }[] {
    return fixture('jsonrpc-commands.txt')
      .split('>>> ')
      .filter((chunk) => chunk.trim() !== '')
      .map((chunk) => {
        const newline = chunk.indexOf('\n');
        return { request: JSON.parse(chunk.slice(0, newline)), reply: JSON.parse(chunk.slice(newline + 1)) };
      });
  }

  it('gives the same replies, texts, faults and status lines in the same order', async () => {
    t = testAdmin();
    const steps = session();
    expect(steps).toHaveLength(9);
    for (const { request, reply } of steps) {
      const res = await t.app.inject({ method: 'POST', url: '/RPC', payload: request });
      expect(JSON.stringify(res.json()), String(request['method'])).toBe(JSON.stringify(reply));
      const error = reply['error'] as { code: number; message: string } | undefined;
      expect(res.statusCode).toBe(error ? error.code : 200);
      expect(res.statusMessage).toBe(error ? error.message : 'OK');
    }
    expect(t.dispatcher.list()[0]!.destinations[0]!.state).toBe('DX');
  });
});
