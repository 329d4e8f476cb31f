import { describe, expect, it } from 'vitest';
import { pushVia } from '../../../src/sip/index.js';
import { cloneRequest } from '../../../src/sip/message-record.js';
import { fixture, parseRequest } from './helpers.js';

describe('cloneRequest', () => {
  it('gives a copy whose lazy views (Contact, Require) read like the original', () => {
    const req = parseRequest(fixture('invite-1k.sip'));
    const copy = cloneRequest(req);
    expect(copy.contact).toEqual(req.contact);
    expect(copy.contact.length).toBeGreaterThan(0);
    expect(copy.require).toEqual(req.require);
    expect(copy.proxyRequire).toEqual(req.proxyRequire);
    expect(copy.callId).toBe(req.callId);
  });

  it('edits on the copy leave the original alone', () => {
    const req = parseRequest(fixture('invite-1k.sip'));
    const vias = req.via.length;
    const fields = req.headers.length;
    const copy = cloneRequest(req);
    pushVia(copy, 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKcopy');
    expect(copy.via.length).toBe(vias + 1);
    expect(req.via.length).toBe(vias);
    expect(req.headers.length).toBe(fields);
  });
});
