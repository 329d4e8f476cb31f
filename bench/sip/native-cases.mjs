// What bench/sip/parse-native.mjs and alloc-native.mjs measure, on the built parser under plain
// node: the fixtures and the three operations, loaded from the dist directory given as the first
// argument (default ./dist, so a copy of an older build can be measured beside the current one).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const dist = pathToFileURL(resolve(process.argv[2] ?? new URL('../../dist', import.meta.url).pathname) + '/');
const load = (file) => import(new URL(`sip/${file}`, dist).href);
const { parseMessage } = await load('parse-message.js');
const { serialize } = await load('serialize.js');
const { popVia, pushVia, setMaxForwards } = await load('edit.js');

const fixture = (name) => readFileSync(new URL(`../../test/fixtures/sip/${name}`, import.meta.url));

/** [label, bytes] of each fixture. */
export const cases = [
  ['INVITE 1 KB', fixture('invite-1k.sip')],
  ['200 OK with SDP', fixture('ok-sdp.sip')],
  ['small OPTIONS', fixture('options.sip')],
];

const OUR_VIA = 'SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bK4b43c2ff8.1;rport';

function parsed(buf) {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(`fixture does not parse: ${r.error.reason}`);
  return r.message;
}

/** The relay's edits: a request gets our Via and Max-Forwards - 1, a response loses its top Via. */
function relayEdits(msg) {
  if (msg.kind === 'response') popVia(msg);
  else {
    pushVia(msg, OUR_VIA);
    setMaxForwards(msg, (msg.maxForwards ?? 70) - 1);
  }
  return msg;
}

/** [column label, operation on a fixture's bytes]. */
export const operations = [
  ['parse', (buf) => parseMessage(buf)],
  ['parse + serialize', (buf) => serialize(parsed(buf))],
  ['parse + relay edits + serialize', (buf) => serialize(relayEdits(parsed(buf)))],
];
