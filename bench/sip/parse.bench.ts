/**
 * Parse and re-serialize typical messages; each bench op handles BATCH messages, so per-op timer
 * overhead does not swamp a few-microsecond parse (parses/s = hz × BATCH).
 * "lazy" is the production parse (Contact, Require, Proxy-Require and name-addr parameter maps
 * built on first read); "eager views" reads all of those right after parsing, which is what
 * building them up front would cost.
 */
import { readFileSync } from 'node:fs';
import { bench, describe } from 'vitest';
import { parseMessage, serialize, type SipMessage } from '../../src/sip/index.js';

const BATCH = 100;
const fixture = (name: string): Buffer => readFileSync(new URL(`../../test/fixtures/sip/${name}`, import.meta.url));

function parsed(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(`fixture does not parse: ${r.error.reason}`);
  return r.message;
}

/** Reads every lazily built view, as an eager parser would have built them. */
function touchAll(msg: SipMessage): number {
  let n = msg.contact.length + msg.from.params.size + msg.to.params.size;
  for (const c of msg.contact) n += c.params.size;
  for (const r of msg.recordRoute) n += r.params.size;
  if (msg.kind === 'request') {
    n += msg.require.length + msg.proxyRequire.length;
    for (const r of msg.route) n += r.params.size;
  }
  return n;
}

for (const [label, name] of [
  ['INVITE 1 KB', 'invite-1k.sip'],
  ['200 OK with SDP', 'ok-sdp.sip'],
  ['small OPTIONS', 'options.sip'],
] as const) {
  const buf = fixture(name);
  describe(`${label} (${buf.length} bytes), ${BATCH} messages per op`, () => {
    bench('parse (lazy)', () => {
      for (let i = 0; i < BATCH; i++) parsed(buf);
    });
    bench('parse (eager views)', () => {
      for (let i = 0; i < BATCH; i++) touchAll(parsed(buf));
    });
    bench('parse + serialize', () => {
      for (let i = 0; i < BATCH; i++) serialize(parsed(buf));
    });
  });
}
