import { describe, expect, it } from 'vitest';
import { StreamFramer, type FramedItem } from '../../../src/sip/index.js';
import { request, wire } from './helpers.js';

const framer = (max = 65536) => new StreamFramer({ maxMessageSize: max });
const kinds = (items: FramedItem[]) => items.map((i) => (i.kind === 'message' ? `message:${i.bytes.length}` : i.kind));

describe('StreamFramer', () => {
  const one = request(['Content-Length: 5'], 'hello');
  const two = request(['Content-Length: 0']);

  it('cuts pipelined messages by Content-Length', () => {
    const items = framer().push(Buffer.concat([one, two, one]));
    expect(kinds(items)).toEqual([`message:${one.length}`, `message:${two.length}`, `message:${one.length}`]);
    expect((items[0] as { bytes: Buffer }).bytes.equals(one)).toBe(true);
  });

  it('waits for the rest of a partial message, byte by byte', () => {
    const f = framer();
    const all = Buffer.concat([one, two]);
    const items: FramedItem[] = [];
    for (let i = 0; i < all.length; i++) items.push(...f.push(all.subarray(i, i + 1)));
    expect(kinds(items)).toEqual([`message:${one.length}`, `message:${two.length}`]);
    expect(Buffer.concat(items.map((i) => (i as { bytes: Buffer }).bytes)).equals(all)).toBe(true);
  });

  it('reports RFC 5626 keepalives and skips lone CRLF pongs', () => {
    const f = framer();
    expect(kinds(f.push(Buffer.from('\r\n\r\n')))).toEqual(['keepalive']);
    expect(kinds(f.push(Buffer.from('\r\n')))).toEqual([]);
    expect(kinds(f.push(Buffer.from('\r\n')))).toEqual(['keepalive']);
    expect(kinds(f.push(Buffer.concat([Buffer.from('\r\n'), two])))).toEqual([`message:${two.length}`]);
    expect(kinds(f.push(Buffer.concat([two, Buffer.from('\r\n\r\n\r\n\r\n'), two])))).toEqual([`message:${two.length}`, 'keepalive', 'keepalive', `message:${two.length}`]);
  });

  it('finds Content-Length in compact form, any case, folded', () => {
    const msg = wire(['OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/TCP h;branch=z9hG4bK1', 'l:', '  3'], 'abc');
    expect(kinds(framer().push(msg))).toEqual([`message:${msg.length}`]);
  });

  it('fails the stream for a message without Content-Length, and stays failed', () => {
    const f = framer();
    const items = f.push(Buffer.concat([request(), two]));
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'error', fatal: true, error: { code: 'SIP_BAD_CONTENT_LENGTH', reason: 'Missing Content-Length', status: 400 } });
    expect((items[0] as { error: { partial?: { callId?: string } } }).error.partial?.callId).toBe('c1@example.com');
    expect(f.push(two)).toEqual([]);
  });

  it.each(['-1', 'abc', '5\r\nContent-Length: 6'])('fails the stream for Content-Length %j', (value) => {
    const items = framer().push(request([`Content-Length: ${value}`]));
    expect(items[0]).toMatchObject({ kind: 'error', fatal: true, error: { code: 'SIP_BAD_CONTENT_LENGTH' } });
  });

  it('fails the stream for oversized messages, by header or by Content-Length', () => {
    expect(framer(100).push(Buffer.alloc(101, 65))[0]).toMatchObject({ kind: 'error', fatal: true, error: { code: 'SIP_TOO_LARGE', status: 513 } });
    expect(framer(100).push(Buffer.alloc(100, 65))).toEqual([]);
    const announced = request(['Content-Length: 100000']);
    expect(framer(1000).push(announced)[0]).toMatchObject({ kind: 'error', error: { code: 'SIP_TOO_LARGE' } });
  });
});
