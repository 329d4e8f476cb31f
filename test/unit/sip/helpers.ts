import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parseMessage, type ParseError, type SipMessage, type SipRequest, type SipResponse } from '../../../src/sip/index.js';

/** Joins header lines with CRLF, adds the empty line and the body. */
export function wire(lines: string[], body = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

/** A bodiless request from SIPp's address to the service with the given To header line (and `extra` lines before it). */
export function requestWithTo(method: string, to: string, extra: string[] = []): Buffer {
  return wire([
    `${method} sip:service@127.0.0.1:5060 SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1',
    'From: <sip:sipp@127.0.0.1:5061>;tag=caller-1',
    ...extra,
    to,
    'Call-ID: 1@127.0.0.1',
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
  ]);
}

export const fixture = (path: string): Buffer => readFileSync(new URL(`../../fixtures/sip/${path}`, import.meta.url));

export function parseOk(buf: Buffer): SipMessage {
  const r = parseMessage(buf);
  if (!r.ok) throw new Error(`expected a message, got ${r.error.code}: ${r.error.reason}`);
  return r.message;
}

export function parseRequest(buf: Buffer): SipRequest {
  const m = parseOk(buf);
  expect(m.kind).toBe('request');
  return m as SipRequest;
}

export function parseResponse(buf: Buffer): SipResponse {
  const m = parseOk(buf);
  expect(m.kind).toBe('response');
  return m as SipResponse;
}

export function parseErr(buf: Buffer, maxSize?: number): ParseError {
  const r = parseMessage(buf, maxSize === undefined ? undefined : { maxSize });
  if (r.ok) throw new Error('expected a parse error');
  return r.error;
}

/** A minimal valid request, with `extra` header lines appended. */
export function request(extra: string[] = [], body = '', method = 'OPTIONS'): Buffer {
  return wire(
    [
      `${method} sip:bob@example.com SIP/2.0`,
      'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc',
      'From: <sip:alice@example.com>;tag=1',
      'To: <sip:bob@example.com>',
      'Call-ID: c1@example.com',
      `CSeq: 1 ${method}`,
      ...extra,
    ],
    body,
  );
}
