/**
 * Whatever a caller sends, the admin API answers a 4xx (or a success), never a 500; on /RPC a 500
 * is only ever one of Kamailio's own fault replies, never an internal failure.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAdmin } from '../unit/admin/admin-fixture.js';
import type { TestAdmin } from '../unit/admin/admin-fixture.js';

const KAMAILIO_FAULTS = new Set([
  'Method Not Found', 'Invalid Parameters', 'Invalid State Parameter', 'Unknown State Value', 'State Update Failed',
  'No Destination Sets', 'Ongoing reload', 'Reload Failed', 'Adding dispatcher dst failed', 'Removing dispatcher dst failed',
]);
const METHODS = ['dispatcher.list', 'dispatcher.reload', 'dispatcher.set_state', 'dispatcher.set_duid_state', 'dispatcher.ping_active', 'dispatcher.add', 'dispatcher.remove', 'dispatcher.hash', 'no.such'];

let t: TestAdmin;
beforeAll(() => {
  t = testAdmin({ reloadDeltaMs: 0 });
});
afterAll(async () => {
  await t.close();
});

const rawBody = fc.oneof(fc.json(), fc.string(), fc.constant(''));

describe('admin API input robustness', () => {
  it('answers REST callers with 2xx or 4xx only', async () => {
    const urls = ['/dispatcher/state', '/dispatcher/ping', '/reload', '/reload?reset=1', '/reload?x=%zz'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...urls), rawBody, fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'), async (url, payload, type) => {
        const res = await t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': type } });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) expect((res.json() as { error: { code: string } }).error.code).toMatch(/^[A-Z_]+$/);
      }),
      { numRuns: 300 },
    );
  });

  it('answers /RPC with a JSON-RPC reply, faults limited to Kamailio\'s', async () => {
    const request = fc.record(
      { jsonrpc: fc.constant('2.0'), method: fc.constantFrom(...METHODS), params: fc.array(fc.jsonValue(), { maxLength: 6 }), id: fc.integer() },
      { requiredKeys: ['method'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(request.map((r) => JSON.stringify(r)), rawBody), async (payload) => {
        const res = await t.app.inject({ method: 'POST', url: '/RPC', payload, headers: { 'content-type': 'application/json' } });
        const body = res.json() as { jsonrpc: string; error?: { code: number; message: string } };
        expect(body.jsonrpc).toBe('2.0');
        if (res.statusCode >= 500) {
          expect(body.error?.code).toBe(500);
          expect(KAMAILIO_FAULTS.has(body.error!.message), body.error!.message).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
