/** The admin API over a real socket on 127.0.0.1 (port 0), reloading a real list file. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReloadOutcome } from '../../../src/admin/rpc-methods.js';
import { SAMPLE_LIST, fixture, testAdmin } from '../../unit/admin/admin-fixture.js';
import type { TestAdmin } from '../../unit/admin/admin-fixture.js';
import { formatKamcmd } from '../../../src/admin/kamcmd-format.js';
import type { JsonRpcReply } from '../../../src/admin/kamcmd-format.js';

const TOKEN = 'integration-token';
let dir: string;
let listFile: string;
let t: TestAdmin;
let base: string;

const auth = { authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sipdispatch-admin-'));
  listFile = join(dir, 'dispatcher.list');
  await writeFile(listFile, SAMPLE_LIST);
  t = testAdmin({
    token: TOKEN,
    reload: async ({ reset }): Promise<ReloadOutcome> => {
      const r = t.dispatcher.reload(await readFile(listFile, 'utf8'), listFile, { reset });
      return r.ok ? { ok: true, report: r.value } : { ok: false, code: r.error.code, errors: r.error.errors };
    },
  });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

const rpc = (body: string) => fetch(`${base}/RPC`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });

describe('admin API on a real port', () => {
  it('serves /health without a token and nothing else without one', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/dispatcher`)).status).toBe(401);
  });

  it('answers dispatcher.list as Kamailio would, printable as kamcmd prints it', async () => {
    const res = await rpc('{"jsonrpc":"2.0","method":"dispatcher.list","id":1}');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const reply = (await res.json()) as JsonRpcReply & { result: { NRSETS: number } };
    expect(reply.result.NRSETS).toBe(2);
    expect(formatKamcmd(reply).split('\n')).toHaveLength(fixture('kamcmd-dispatcher.list.t7s.txt').split('\n').length);
  });

  it('mirrors a fault in the HTTP status line', async () => {
    const res = await rpc('{"jsonrpc":"2.0","method":"no.such","id":18}');
    expect([res.status, res.statusText]).toEqual([500, 'Method Not Found']);
    expect(await res.json()).toEqual({ jsonrpc: '2.0', error: { code: 500, message: 'Method Not Found' }, id: 18 });
  });

  it('answers invalid JSON with -32700 instead of hanging like Kamailio', async () => {
    const res = await rpc('not json');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('reloads the file it reads and reports the diff', async () => {
    await writeFile(listFile, `${SAMPLE_LIST}3 sip:127.0.0.1:5086 0 0\n`);
    const res = await fetch(`${base}/reload`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ added: [{ set: 3, uri: 'sip:127.0.0.1:5086' }], removed: [] });
    const list = (await (await fetch(`${base}/dispatcher`, { headers: auth })).json()) as { sets: { id: number }[] };
    expect(list.sets.map((s) => s.id)).toEqual([1, 2, 3]);
  });

  it('serves the metrics', async () => {
    const res = await fetch(`${base}/metrics`, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('sipdispatch_destination_up{set="3",uri="sip:127.0.0.1:5086"} 1');
  });
});
