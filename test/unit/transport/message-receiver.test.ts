/** What the receiver does with a request the parser rejects: answer 400 when a reply can travel, else drop and count. */
import { afterEach, describe, expect, it } from 'vitest';
import { subscribe } from '../../../src/shared/events.js';
import { silentLogger } from '../../../src/shared/logger.js';
import { MessageReceiver } from '../../../src/transport/message-receiver.js';
import { STATELESS_TAG } from '../../../src/sip/stateless-ack.js';
import type { MessageSource } from '../../../src/transport/target.js';

const source: MessageSource = { transport: 'udp', address: '127.0.0.1', port: 40000, connectionId: 'udp:127.0.0.1:5060', local: { address: '127.0.0.1', port: 5060 } };

const HEADERS: Record<string, string> = {
  'Via': 'SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-missing',
  'From': '<sip:alice@127.0.0.1>;tag=a1',
  'To': '<sip:bob@127.0.0.1>',
  'Call-ID': 'missing-1@127.0.0.1',
  'CSeq': '1 INVITE',
  'Max-Forwards': '70',
};

function request(without: string, via = HEADERS.Via!): Buffer {
  const lines = ['INVITE sip:bob@127.0.0.1 SIP/2.0'];
  for (const [name, value] of Object.entries(HEADERS)) if (name !== without) lines.push(`${name}: ${name === 'Via' ? via : value}`);
  lines.push('Content-Length: 0', '', '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

function receive(bytes: Buffer): { replies: string[]; handled: number } {
  const receiver = new MessageReceiver({ maxMessageSize: 65535, forceRport: false, logger: silentLogger });
  let handled = 0;
  receiver.setHandler(() => handled++);
  const replies: string[] = [];
  receiver.receive(bytes, source, (b) => replies.push(b.toString('latin1')));
  return { replies, handled };
}

let unsubscribe: (() => void) | undefined;
afterEach(() => unsubscribe?.());

describe('a request missing a mandatory header', () => {
  it.each(['Call-ID', 'From', 'To', 'CSeq'])('is answered 400 naming %s, never handed on', (header) => {
    const { replies, handled } = receive(request(header));
    expect(handled).toBe(0);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.split('\r\n')[0]).toBe(`SIP/2.0 400 Missing ${header}`);
    expect(replies[0]).toContain('\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK-missing\r\n');
  });

  it('is dropped and counted when its top Via cannot carry a reply', () => {
    const dropped: string[] = [];
    unsubscribe = subscribe('dropped', (e) => dropped.push(e.reason));
    const { replies, handled } = receive(request('Call-ID', 'garbage'));
    expect({ replies, handled, dropped }).toEqual({ replies: [], handled: 0, dropped: ['malformed'] });
  });

  it('is handed on whole when nothing is missing', () => {
    expect(receive(request('none'))).toEqual({ replies: [], handled: 1 });
  });
});

describe('the ACK of a stateless reply of ours', () => {
  it('is absorbed before the parse: nothing handled, nothing answered, nothing counted as dropped', () => {
    const dropped: string[] = [];
    unsubscribe = subscribe('dropped', (e) => dropped.push(e.reason));
    const bytes = Buffer.from(
      request('').toString('latin1').replace('INVITE sip:', 'ACK sip:').replace('1 INVITE', '1 ACK').replace('To: <sip:bob@127.0.0.1>', `To: <sip:bob@127.0.0.1>;tag=${STATELESS_TAG}`),
      'latin1',
    );
    expect(receive(bytes)).toEqual({ replies: [], handled: 0 });
    expect(dropped).toEqual([]);
    // the same ACK with another To tag (a farm's dialog) goes on to the handler
    expect(receive(Buffer.from(bytes.toString('latin1').replace(STATELESS_TAG, 'farm-tag'), 'latin1')).handled).toBe(1);
  });
});
