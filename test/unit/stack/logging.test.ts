import { afterEach, describe, expect, it } from 'vitest';
import { channel, publish } from '../../../src/shared/events.js';
import type { Logger } from '../../../src/shared/logger.js';
import { LogSampler, attachEventLogging, createLogger } from '../../../src/stack/logging.js';

type Line = Record<string, unknown>;

function capture(level = 'info'): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const logger: Logger = createLogger({ level, destination: { write: (s: string) => void lines.push(JSON.parse(s) as Line) } });
  return { logger, lines };
}

let detach: (() => void) | undefined;
afterEach(() => {
  detach?.();
  detach = undefined;
});

describe('createLogger', () => {
  it('writes JSON lines with a level label and drops lines below the level', () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    logger.child({ component: 'relay' }).info({ set: '1' }, 'shown');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', component: 'relay', set: '1', msg: 'shown' });
    expect(typeof lines[0]!.time).toBe('number');
  });
});

describe('LogSampler', () => {
  it('admits one line per interval per key and reports what it held back', () => {
    let t = 0;
    const s = new LogSampler(() => t, 1000);
    expect(s.admit('a')).toBe(0);
    expect(s.admit('a')).toBe(-1);
    expect(s.admit('b')).toBe(0);
    t = 999;
    expect(s.admit('a')).toBe(-1);
    t = 1000;
    expect(s.admit('a')).toBe(2);
    expect(s.admit('a')).toBe(-1);
    t = 5000;
    expect(s.admit('a')).toBe(1);
    expect(s.admit('b')).toBe(0);
  });
});

describe('attachEventLogging', () => {
  const stateEvent = {
    set: '1', uri: 'sip:10.0.0.1', duid: 'fs1', state: 'IP', previous: 'AP', up: false,
    changed: true, initial: false, code: 408, reason: 'Request Timeout', at: 5,
  };

  it('logs destination state changes with their fields', () => {
    const { logger, lines } = capture();
    detach = attachEventLogging(logger);
    publish('destination.state', stateEvent);
    expect(lines).toEqual([expect.objectContaining({
      level: 'info', msg: 'destination state changed', set: '1', uri: 'sip:10.0.0.1', duid: 'fs1',
      state: 'IP', previous: 'AP', code: 408, reason: 'Request Timeout',
    })]);
  });

  it('logs reload results at info and error', () => {
    const { logger, lines } = capture();
    detach = attachEventLogging(logger);
    publish('list.reload', { result: 'success', added: 1, removed: 2, kept: 3, errors: [], at: 0 });
    publish('list.reload', { result: 'failure', added: 0, removed: 0, kept: 0, errors: ['list:3: bad URI'], at: 0 });
    expect(lines[0]).toMatchObject({ level: 'info', added: 1, removed: 2, kept: 3 });
    expect(lines[1]).toMatchObject({ level: 'error', errors: ['list:3: bad URI'] });
  });

  it('logs failovers and no-destination with the Call-ID', () => {
    const { logger, lines } = capture();
    detach = attachEventLogging(logger);
    publish('failover', { set: '1', uri: 'sip:a', reason: 'timeout', callId: 'c1@h', next: 'sip:b' });
    publish('no-destination', { set: '2', method: 'INVITE', callId: 'c2@h' });
    expect(lines[0]).toMatchObject({ level: 'info', callId: 'c1@h', set: '1', uri: 'sip:a', reason: 'timeout', next: 'sip:b' });
    expect(lines[1]).toMatchObject({ level: 'info', callId: 'c2@h', set: '2', method: 'INVITE' });
  });

  it('samples parse errors and drops per reason, reporting the suppressed count', () => {
    const { logger, lines } = capture();
    let t = 0;
    detach = attachEventLogging(logger, { now: () => t });
    const parseError = (code: string) => publish('parse-error', { transport: 'udp', code, reason: 'bad', source: '192.0.2.1:5060' });
    for (let i = 0; i < 50; i++) parseError('SIP_BAD_CSEQ');
    parseError('SIP_NO_VIA');
    for (let i = 0; i < 3; i++) publish('dropped', { reason: 'loop', transport: 'udp' });
    expect(lines.map((l) => [l.code ?? l.reason, l.suppressed])).toEqual([['SIP_BAD_CSEQ', 0], ['SIP_NO_VIA', 0], ['loop', 0]]);
    t = 1000;
    parseError('SIP_BAD_CSEQ');
    publish('dropped', { reason: 'loop', transport: 'tcp' });
    expect(lines.slice(3)).toEqual([
      expect.objectContaining({ level: 'warn', code: 'SIP_BAD_CSEQ', source: '192.0.2.1:5060', suppressed: 49 }),
      expect.objectContaining({ level: 'warn', reason: 'loop', transport: 'tcp', suppressed: 2 }),
    ]);
  });

  it('stops logging once detached', () => {
    const { logger, lines } = capture();
    attachEventLogging(logger)();
    publish('no-destination', { set: '2', method: 'INVITE', callId: 'c2@h' });
    expect(lines).toHaveLength(0);
    expect(channel('parse-error').hasSubscribers).toBe(false);
  });
});
