/**
 * Deciding which thread owns a datagram (workers > 1, run on every UDP datagram): the byte scan of
 * thread-router.ts against a full parse reading the same field. Each op handles BATCH messages
 * (datagrams/s = hz × BATCH).
 */
import { readFileSync } from 'node:fs';
import { bench, describe } from 'vitest';
import { datagramOwner, fnv1a } from '../../src/threads/thread-router.js';
import { parseMessage } from '../../src/sip/index.js';

const BATCH = 100;
const fixture = (name: string): Buffer => readFileSync(new URL(`../../test/fixtures/sip/${name}`, import.meta.url));

/** The owner as a full parse would find it: Call-ID of a request, top Via branch tag of a response. */
function ownerByParse(bytes: Buffer, threads: number): number {
  const r = parseMessage(bytes);
  if (!r.ok) return -1;
  if (r.message.kind === 'request') return fnv1a(Buffer.from(r.message.callId, 'latin1'), 0, r.message.callId.length) % threads;
  const branch = r.message.via[0]?.branch ?? '';
  const dot = branch.indexOf('.', 7);
  const index = dot > 7 ? Number(branch.slice(7, dot)) : -1;
  return index >= 0 && index < threads ? index : -1;
}

const responseWithTag = Buffer.from(fixture('ok-sdp.sip').toString('latin1').replace(/branch=z9hG4bK/, 'branch=z9hG4bK1.'), 'latin1');

for (const [label, buf] of [
  ['INVITE 1 KB', fixture('invite-1k.sip')],
  ['200 OK with SDP, tagged branch', responseWithTag],
  ['small OPTIONS', fixture('options.sip')],
] as const) {
  describe(`${label} (${buf.length} bytes), ${BATCH} datagrams per op`, () => {
    bench('byte scan (datagramOwner)', () => {
      for (let i = 0; i < BATCH; i++) datagramOwner(buf, 2);
    });
    bench('full parse', () => {
      for (let i = 0; i < BATCH; i++) ownerByParse(buf, 2);
    });
  });
}
