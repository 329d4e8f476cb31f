/**
 * Large replies stream: GET /dispatcher, dispatcher.list and the /reload diff for a list of
 * 20,000 destinations come in pieces with turns of the event loop between them, and read back as
 * the same JSON as the whole-object replies.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher } from '../../../src/dispatcher/dispatcher.js';
import { dispatcherOptions } from '../dispatcher/helpers.js';
import { LIST_FILE, rpc, testAdmin, type TestAdmin } from './admin-fixture.js';

const COUNT = 20_000;

function largeList(count: number, port = 5060): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(`${1 + (i % 40)} sip:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:${port} 8 ${i % 3} duid=d${i};weight=10`);
  return lines.join('\n') + '\n';
}

let t: TestAdmin | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function largeAdmin(): TestAdmin {
  const d = new Dispatcher(dispatcherOptions({ random: () => 0.5 }));
  const r = d.load(largeList(COUNT), LIST_FILE);
  if (!r.ok) throw new Error(r.error.errors.join('\n'));
  t = testAdmin({}, d);
  return t;
}

/** Counts turns of the event loop while `work` runs: a reply that streams lets many happen. */
async function turnsDuring<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const value = await work;
  done = true;
  return { value, turns };
}

describe('large replies stream', () => {
  it('GET /dispatcher: the same JSON as { pingActive, sets: list() }, sent in pieces', async () => {
    const admin = largeAdmin();
    const { value: res, turns } = await turnsDuring(admin.app.inject({ method: 'GET', url: '/dispatcher' }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual(JSON.parse(JSON.stringify({ pingActive: true, sets: admin.dispatcher.list() })));
    // 20,000 destinations in chunks of 500: the event loop ran between them
    expect(turns).toBeGreaterThanOrEqual(COUNT / 500);
  });

  it('dispatcher.list: Kamailio\'s envelope and records for every destination, sent in pieces', async () => {
    const admin = largeAdmin();
    const { value: reply, turns } = await turnsDuring(rpc(admin, 'dispatcher.list', [], 'big'));
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body)).toEqual(['jsonrpc', 'result', 'id']);
    expect(reply.body['id']).toBe('big');
    const result = reply.body['result'] as { NRSETS: number; RECORDS: { SET: { ID: number; TARGETS: { DEST: Record<string, unknown> }[] } }[] };
    expect(result.NRSETS).toBe(40);
    expect(result.RECORDS.map((r) => r.SET.ID)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(result.RECORDS.reduce((n, r) => n + r.SET.TARGETS.length, 0)).toBe(COUNT);
    expect(result.RECORDS[0]!.SET.TARGETS[0]!.DEST).toMatchObject({ FLAGS: 'AP', PRIORITY: 2, ATTRS: { DUID: expect.stringMatching(/^d\d+$/), WEIGHT: 10 } });
    expect(turns).toBeGreaterThanOrEqual(COUNT / 500);
  });

  it('dispatcher.list full mode prints each destination\'s address fields', async () => {
    const admin = largeAdmin();
    const reply = await rpc(admin, 'dispatcher.list', ['full']);
    const dest = (reply.body['result'] as { RECORDS: { SET: { TARGETS: { DEST: Record<string, unknown> }[] } }[] }).RECORDS[1]!.SET.TARGETS[0]!.DEST;
    expect(dest).toMatchObject({ HOST: expect.stringMatching(/^10\./), IPADDR: expect.stringMatching(/^10\./), PORT: 5060, PROTOID: 0 });
  });

  it('POST /reload: the diff of a list with every destination changed, in pieces', async () => {
    const admin = largeAdmin();
    admin.file.text = largeList(COUNT, 5062);
    const { value: res, turns } = await turnsDuring(admin.app.inject({ method: 'POST', url: '/reload' }));
    expect(res.statusCode).toBe(200);
    const body = res.json() as { added: { set: number; uri: string }[]; removed: unknown[]; kept: unknown[]; warnings: unknown[] };
    expect([body.added.length, body.removed.length, body.kept.length, body.warnings.length]).toEqual([COUNT, COUNT, 0, 0]);
    expect(body.added[0]).toEqual({ set: 1, uri: expect.stringMatching(/:5062$/) });
    expect(turns).toBeGreaterThanOrEqual((2 * COUNT) / 500);
  });

  it('GET /ready counts destinations up without building views', async () => {
    const admin = largeAdmin();
    const res = await admin.app.inject({ method: 'GET', url: '/ready' });
    expect(res.json()).toEqual({ ready: true, listening: true, loaded: true, destinationsUp: COUNT });
  });
});
