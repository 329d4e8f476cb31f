import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage, serialize, type NameAddr, type SipMessage } from '../../../src/sip/index.js';
import { validRequest } from './arbitraries.js';

/** A name-addr as plain data: `params` is a getter that deep equality would skip. */
const plainNa = (na: NameAddr) => ({ displayName: na.displayName, uri: na.uri, tag: na.tag, raw: na.raw, params: [...na.params] });

/** Everything the parser exposes, as plain data (Content-Length fields aside: the serializer adds one when absent). */
function views(m: SipMessage): unknown {
  const common = {
    kind: m.kind, version: m.version, via: m.via, from: plainNa(m.from), to: plainNa(m.to), callId: m.callId, cseq: m.cseq,
    recordRoute: m.recordRoute.map(plainNa), contact: m.contact.map(plainNa), contentLength: m.contentLength, body: m.body.toString('latin1'),
    headers: m.headers.filter((h) => h.key !== 'content-length').map((h) => [h.name, h.key, h.value]),
  };
  if (m.kind === 'response') return { ...common, status: m.status, reason: m.reason };
  return { ...common, method: m.method, uri: m.uri, maxForwards: m.maxForwards, route: m.route.map(plainNa), require: m.require, proxyRequire: m.proxyRequire };
}

function mustParse(bytes: Buffer): SipMessage {
  const r = parseMessage(bytes);
  if (!r.ok) throw new Error(`${r.error.code} ${r.error.reason}\n${bytes.toString('latin1')}`);
  return r.message;
}

describe('SIP parser properties', () => {
  it('parses every generated valid request', () => {
    fc.assert(fc.property(validRequest, (g) => {
      expect(mustParse(g.bytes).kind).toBe('request');
    }), { numRuns: 500 });
  });

  it('parse(serialize(parse(x))) equals parse(x), and serialize is byte-exact', () => {
    fc.assert(fc.property(validRequest, (g) => {
      const first = mustParse(g.bytes);
      const out = serialize(first);
      expect(out.equals(g.bytes)).toBe(true);
      expect(views(mustParse(out))).toEqual(views(first));
    }), { numRuns: 500 });
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
      const r = parseMessage(Buffer.from(bytes));
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 2000 });
  });

  it('never throws on mutated valid messages, and every error carries a code and a status', () => {
    const mutation = fc.record({ at: fc.nat(), len: fc.nat(8), insert: fc.uint8Array({ maxLength: 8 }), cut: fc.boolean() });
    fc.assert(fc.property(validRequest, fc.array(mutation, { minLength: 1, maxLength: 5 }), (g, mutations) => {
      let bytes = g.bytes;
      for (const m of mutations) {
        const at = m.at % (bytes.length + 1);
        bytes = m.cut ? bytes.subarray(0, at) : Buffer.concat([bytes.subarray(0, at), Buffer.from(m.insert), bytes.subarray(at + m.len)]);
      }
      const r = parseMessage(bytes);
      if (!r.ok) {
        expect(r.error.code).toMatch(/^SIP_[A-Z_]+$/);
        expect([400, 505, 513]).toContain(r.error.status);
      } else {
        // Whatever parsed must serialize and parse again to the same thing.
        expect(views(mustParse(serialize(r.message)))).toEqual(views(r.message));
      }
    }), { numRuns: 1000 });
  });
});
